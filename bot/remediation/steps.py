"""The steps of a cleanup action: each one AWS call that changes something, and a way to
look whether it already happened (after a crash, the bot looks instead of guessing).

An action lists its steps (`CleanupAction.steps`); the executor (bot.remediation.execution)
records each step's intent in the audit log before the call and its outcome after it, so
a process killed at any point leaves a record the recovery pass can finish from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.orphans.model import Finding, TargetContext

#: Tag put on whatever a step creates, with the step's token: found again after a crash.
STEP_TOKEN_TAG = "finops:step-token"


@dataclass
class StepRun:
    """What a step's functions get: the target, its finding, this step's token and what
    it prepared, and the outcomes of the steps before it."""

    ctx: TargetContext
    finding: Finding
    request_id: int
    token: str
    restore_until: datetime
    prepared: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)


#: Does the step (AWS errors propagate) and returns its outcome (ids of what it created...).
StepDo = Callable[[StepRun], dict[str, Any]]
#: Looks whether the step already happened: its outcome if so, None if not (safe to do).
StepLook = Callable[[StepRun], "dict[str, Any] | None"]
#: Reads what the step will need (read-only), recorded with the intent before the call.
StepPrepare = Callable[[StepRun], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """One changing AWS call of an action (`aws_call`: its API operation name)."""

    name: str
    aws_call: str
    do: StepDo
    look: StepLook
    prepare: StepPrepare | None = None


def step_token(run_key: str, request_id: int, step: str) -> str:
    """The idempotency token of one step of one request: the same on every retry, unique
    across databases (run_key is random per request), at most 64 ASCII characters."""
    digest = hashlib.sha256(f"{run_key}:{request_id}:{step}".encode()).hexdigest()[:20]
    return f"finops-{request_id}-{step[:16]}-{digest}"


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_not_found(exc: BaseException) -> bool:
    """A ClientError saying the resource does not exist (any service's spelling)."""
    code = error_code(exc)
    return bool(code) and (
        "NotFound" in code or "NoSuch" in code or code in {"LoadBalancerNotFound", "NotFound"}
    )


def instance_state(run: StepRun, instance_id: str) -> tuple[str, str] | None:
    """(state name, instance type) of an instance, or None when AWS no longer knows it."""
    try:
        reservations = run.ctx.client("ec2").describe_instances(InstanceIds=[instance_id])[
            "Reservations"
        ]
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    for reservation in reservations:
        for instance in reservation.get("Instances", []):
            return str(instance["State"]["Name"]), str(instance.get("InstanceType", ""))
    return None


def tagged_with_token(run: StepRun) -> list[dict[str, str]]:
    """The tag that marks what this step creates."""
    return [{"Key": STEP_TOKEN_TAG, "Value": run.token}]


def gone(describe: Callable[[StepRun], Any]) -> StepLook:
    """A look for a deleting step: done when `describe` says the resource is not found."""

    def look(run: StepRun) -> dict[str, Any] | None:
        try:
            describe(run)
        except ClientError as exc:
            if is_not_found(exc):
                return {"gone": run.finding.resource_id}
            raise
        return None

    return look


def tolerating_not_found(call: Callable[[StepRun], Any]) -> StepDo:
    """A deleting step's do: a resource already gone counts as deleted."""

    def do(run: StepRun) -> dict[str, Any]:
        try:
            call(run)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
        return {"gone": run.finding.resource_id}

    return do
