"""Registered actions proposed by `/rightsize` (bot.advice.rightsizing): stop an idle
instance (or image and terminate it, where the team allows), and change an oversized
instance to the next smaller type. Each re-checks the instance right before acting
(still running, same type, not protected, CPU still under the threshold); stop and change
can be undone (start again; change back to the previous type).
"""

from __future__ import annotations

import contextlib
from typing import Any

from bot.advice import rightsizing as advice
from bot.orphans.model import Finding, NotEligible, TargetContext
from bot.remediation.actions import (
    IMAGE_AND_TERMINATE_STEPS,
    CleanupAction,
    Outcome,
    Outcomes,
    action,
    image_and_terminate_outcome,
)
from bot.remediation.steps import Step, StepRun, instance_state

#: How the bot waits for an instance to stop before changing its type (botocore waiter;
#: tests shorten the delay).
STOP_WAIT: dict[str, int] = {"Delay": 15, "MaxAttempts": 40}
OP_START = "start"
OP_CHANGE_TYPE = "change-type"


def _recheck(ctx: TargetContext, finding: Finding, name: str) -> Finding:
    fresh = advice.recheck_instance(
        ctx,
        finding.resource_id,
        kind=finding.kind,
        instance_type=finding.details.get("instance_type"),
    )
    if fresh.protected:
        raise NotEligible(f"`{finding.resource_id}` is now tagged `{ctx.config.tags.protect}`")
    if fresh.action != name:
        raise NotEligible(
            f"the advice for `{finding.resource_id}` is now {fresh.action or 'none'}, not {name}"
        )
    return fresh


def change_type(ctx: TargetContext, instance_id: str, instance_type: str) -> None:
    """Stop the instance, wait until it is stopped, change its type, start it."""
    ec2 = ctx.client("ec2")
    ec2.stop_instances(InstanceIds=[instance_id])
    try:
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=STOP_WAIT)
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": instance_type})
    except Exception:
        # Leave it running (with its old type) rather than stopped; report the failure.
        with contextlib.suppress(Exception):
            ec2.start_instances(InstanceIds=[instance_id])
        raise
    ec2.start_instances(InstanceIds=[instance_id])


def _stop(run: StepRun) -> dict[str, Any]:
    run.ctx.client("ec2").stop_instances(InstanceIds=[run.finding.resource_id])
    return {"stopped": run.finding.resource_id}


def _stopped(run: StepRun) -> dict[str, Any] | None:
    state = instance_state(run, run.finding.resource_id)
    if state is not None and state[0] in ("stopping", "stopped"):
        return {"stopped": run.finding.resource_id}
    return None


def _stopped_or_changed(run: StepRun) -> dict[str, Any] | None:
    """Stopped, or already changed to the proposed type (a later step ran)."""
    state = instance_state(run, run.finding.resource_id)
    if state is not None and state[1] == run.finding.details.get("proposed_type"):
        return {"stopped": run.finding.resource_id}
    return _stopped(run)


def _modify_type(run: StepRun) -> dict[str, Any]:
    """Wait until stopped, change the type; on failure start it again (old type)."""
    ec2 = run.ctx.client("ec2")
    instance_id, target = run.finding.resource_id, str(run.finding.details["proposed_type"])
    try:
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=STOP_WAIT)
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": target})
    except Exception:
        with contextlib.suppress(Exception):
            ec2.start_instances(InstanceIds=[instance_id])
        raise
    return {"instance_type": target}


def _type_changed(run: StepRun) -> dict[str, Any] | None:
    state = instance_state(run, run.finding.resource_id)
    target = run.finding.details.get("proposed_type")
    return {"instance_type": target} if state is not None and state[1] == target else None


def _start(run: StepRun) -> dict[str, Any]:
    run.ctx.client("ec2").start_instances(InstanceIds=[run.finding.resource_id])
    return {"started": run.finding.resource_id}


def _started(run: StepRun) -> dict[str, Any] | None:
    state = instance_state(run, run.finding.resource_id)
    if state is not None and state[0] in ("pending", "running"):
        return {"started": run.finding.resource_id}
    return None


@action
class StopIdleInstance(CleanupAction):
    """Stop an idle instance (its EBS volumes stay, and keep costing). Undo starts it."""

    name = advice.ACTION_STOP
    permissions = (*advice.PERMISSIONS, "ec2:StopInstances", "ec2:StartInstances")
    undo_label = "Start again"

    def describe(self, finding: Finding) -> str:
        return (
            f"Stop idle instance `{finding.resource_id}` ({finding.size}); its EBS "
            "volumes keep costing"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        return _recheck(ctx, finding, self.name)

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("stop", "StopInstances", _stop, _stopped)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return Outcome(
            f"instance `{finding.resource_id}` stopped",
            restore={"op": OP_START, "instance_id": finding.resource_id},
        )

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        instance_id = str(restore["instance_id"])
        ctx.client("ec2").start_instances(InstanceIds=[instance_id])
        return f"instance `{instance_id}` started again"


@action
class ImageAndTerminateIdleInstance(CleanupAction):
    """Create an AMI of an idle running instance, then terminate it (teams that allow it);
    the same steps as `ImageAndTerminateInstance`, with this advice's own re-check."""

    name = advice.ACTION_TERMINATE
    permissions = (
        *advice.PERMISSIONS,
        "ec2:CreateImage",
        "ec2:CreateTags",
        "ec2:TerminateInstances",
    )

    def describe(self, finding: Finding) -> str:
        return (
            f"Create an AMI of idle instance `{finding.resource_id}` ({finding.size}), "
            "then terminate it"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        return _recheck(ctx, finding, self.name)

    def steps(self, finding: Finding) -> list[Step]:
        return list(IMAGE_AND_TERMINATE_STEPS)

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return image_and_terminate_outcome(finding, outcomes)


@action
class ChangeInstanceType(CleanupAction):
    """Change an oversized instance to the next smaller type: stop, change, start (a short
    outage). Undo changes it back the same way."""

    name = advice.ACTION_CHANGE
    permissions = (
        *advice.PERMISSIONS,
        "ec2:StopInstances",
        "ec2:ModifyInstanceAttribute",
        "ec2:StartInstances",
    )
    undo_label = "Change back"

    def describe(self, finding: Finding) -> str:
        target = finding.details.get("proposed_type") or "a smaller type"
        return (
            f"Change instance `{finding.resource_id}` from {finding.size} to {target} "
            "(stop, change, start: a short outage)"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        fresh = _recheck(ctx, finding, self.name)
        wanted = finding.details.get("proposed_type")
        if wanted and fresh.details.get("proposed_type") != wanted:
            raise NotEligible(
                f"the proposed type is now {fresh.details.get('proposed_type')}, not {wanted}"
            )
        return fresh

    def steps(self, finding: Finding) -> list[Step]:
        return [
            Step("stop", "StopInstances", _stop, _stopped_or_changed),
            Step("modify", "ModifyInstanceAttribute", _modify_type, _type_changed),
            Step("start", "StartInstances", _start, _started),
        ]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        previous = str(finding.details["instance_type"])
        target = str(finding.details["proposed_type"])
        return Outcome(
            f"instance `{finding.resource_id}` changed from {previous} to {target} "
            "(stopped, changed, started)",
            restore={
                "op": OP_CHANGE_TYPE,
                "instance_id": finding.resource_id,
                "instance_type": previous,
                "changed_to": target,
            },
        )

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        instance_id = str(restore["instance_id"])
        previous = str(restore["instance_type"])
        reservations = ctx.client("ec2").describe_instances(InstanceIds=[instance_id])
        current = reservations["Reservations"][0]["Instances"][0].get("InstanceType")
        if current == previous:
            return f"instance `{instance_id}` is already {previous}: nothing to change back"
        if current != restore.get("changed_to"):
            raise NotEligible(
                f"instance {instance_id} is now {current}, not "
                f"{restore.get('changed_to')}: nothing changed back"
            )
        change_type(ctx, instance_id, previous)
        return f"instance `{instance_id}` changed back to {previous}"
