"""Crash injection inside the test process: the process "dies" (a BaseException nothing in
the bot catches) right after, or right before, one AWS call reaches moto. The real-process
suite (tests/test_crash_serve.py) kills `finops-bot serve` with SIGKILL; this one covers
every step of every action cheaply."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient

from bot.audit_export import events
from bot.audit_verify import verify
from bot.remediation import execution, recovery
from bot.remediation.actions import ACTIONS
from bot.services import Services
from storage.models_remediation import CleanupRequest

_original = BaseClient._make_api_call


class SimulatedCrash(BaseException):
    """The process died here."""


@contextmanager
def crash_at(
    patch: pytest.MonkeyPatch, operation: str, *, reached: bool = True
) -> Iterator[Counter[str]]:
    """Die at `operation` (after it reached AWS, or before); count every call made."""
    calls: Counter[str] = Counter()

    def call(self: BaseClient, name: str, params: dict[str, Any]) -> Any:
        if name == operation:
            patch.setattr(BaseClient, "_make_api_call", counting)
            if reached:
                calls[name] += 1
                _original(self, name, params)
            raise SimulatedCrash(name)
        calls[name] += 1
        return _original(self, name, params)

    def counting(self: BaseClient, name: str, params: dict[str, Any]) -> Any:
        calls[name] += 1
        return _original(self, name, params)

    patch.setattr(BaseClient, "_make_api_call", call)
    yield calls


def crash_then_recover(
    services: Services,
    patch: pytest.MonkeyPatch,
    request_id: int,
    operation: str,
    *,
    advance: Any,
    reached: bool = True,
) -> tuple[CleanupRequest, Counter[str]]:
    """Execute until the crash, let the lease lapse (`advance(seconds=...)`), reconcile
    once; the request as it ended and every AWS call made (before and after the crash)."""
    from bot.remediation import service

    with crash_at(patch, operation, reached=reached) as calls:
        with pytest.raises(SimulatedCrash):
            service.execute(services, request_id)
        advance(seconds=execution.LEASE_TTL.total_seconds() + 1)
        result = recovery.reconcile(services)
    assert [e.request.id for e in result.finished if e.request] == [request_id]
    finished = result.finished[0].request
    assert finished is not None
    # One reconciliation finishes it: a second pass finds nothing to do.
    assert recovery.reconcile(services).finished == []
    return finished, calls


def changing_calls(action: str) -> list[str]:
    """The AWS operations (boto3 names) that the action's steps make."""
    return [step.aws_call for step in ACTIONS[action].steps(_any_finding(action))]


def _any_finding(action: str) -> Any:
    from decimal import Decimal

    from bot.orphans.model import Finding

    return Finding(
        resource_id="r",
        kind="x",
        resource_type="t",
        region="us-east-1",
        account="a",
        name="",
        size="",
        age_days=None,
        tags={},
        team=None,
        owner=None,
        monthly_cost=Decimal("0"),
        approximate=False,
        action=action,
    )


def step_trail(services: Services, request_id: int) -> list[tuple[str, str]]:
    """(status, step) of the request's audit events."""
    return [
        (e["status"], str(e["detail"].get("step", "")))
        for e in events(services.db)
        if e["request_id"] == request_id
    ]


def assert_consistent(services: Services) -> None:
    """`finops-bot audit --verify` finds nothing."""
    assert verify(services.db, now=services.now()) == []
