"""Registered cleanup actions (Custodian-style): each says what it will do, which IAM
actions it needs, and does it. Destructive steps keep a way back where AWS allows one:
a volume is snapshotted before it is deleted, an instance imaged before it is terminated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from bot.orphans.model import (
    CREATED_BY_TAG,
    RESTORE_UNTIL_TAG,
    Finding,
    NotEligible,
    TargetContext,
)
from bot.remediation.steps import (
    STEP_TOKEN_TAG,
    Step,
    StepRun,
    error_code,
    gone,
    instance_state,
    is_not_found,
    tolerating_not_found,
)

BOT_NAME = "finops-bot"
SOURCE_TAG = "finops:source"
REQUEST_TAG = "finops:cleanup-request"


@dataclass
class Outcome:
    """What an action did, in a sentence, and what a restore would need (if anything)."""

    summary: str
    restore: dict[str, Any] | None = None
    created: list[str] = field(default_factory=list)


Outcomes = dict[str, dict[str, Any]]


class CleanupAction:
    """Base of every action: its steps (each one changing AWS call, recorded before and
    after), and `conclude`, which says what the finished steps amount to."""

    name: ClassVar[str]
    permissions: ClassVar[tuple[str, ...]]
    undo_label: ClassVar[str] = "Undo"  # the button that undoes it (when it can be undone)

    def describe(self, finding: Finding) -> str:
        """What will happen, in one line (shown before anyone approves)."""
        raise NotImplementedError

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        """Undo it from its `Outcome.restore`; what was done, in a sentence."""
        raise NotImplementedError(f"{self.name} cannot be undone")

    def steps(self, finding: Finding) -> list[Step]:
        """The changing AWS calls, in order (the executor records and runs them)."""
        raise NotImplementedError

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        """What was done, from every step's outcome (by step name)."""
        raise NotImplementedError

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        """For findings no finding kind owns (budget proposals): the target as it is now,
        or NotEligible. Actions on scanned waste are re-checked by their kind instead."""
        raise NotEligible(f"{self.name} has no re-check of its own")


ACTIONS: dict[str, CleanupAction] = {}


def action(cls: type[CleanupAction]) -> type[CleanupAction]:
    """Class decorator: register an action under its `name`."""
    if cls.name in ACTIONS:
        raise ValueError(f"cleanup action {cls.name!r} registered twice")
    ACTIONS[cls.name] = cls()
    return cls


def _bot_tags(finding: Finding, request_id: int, **extra: str) -> list[dict[str, str]]:
    keep = {k: v for k, v in finding.tags.items() if not k.startswith(("aws:", "finops:"))}
    keep.update(
        {
            CREATED_BY_TAG: BOT_NAME,
            SOURCE_TAG: finding.resource_id[-250:],
            REQUEST_TAG: str(request_id),
        }
    )
    keep.update(extra)
    return [{"Key": k, "Value": v} for k, v in keep.items()]


def _create_snapshot(run: StepRun) -> dict[str, Any]:
    volume = run.finding.resource_id
    tags = _bot_tags(
        run.finding,
        run.request_id,
        **{RESTORE_UNTIL_TAG: run.restore_until.isoformat(), STEP_TOKEN_TAG: run.token},
    )
    snapshot = run.ctx.client("ec2").create_snapshot(  # CreateSnapshot takes no ClientToken
        VolumeId=volume,
        Description=f"finops-bot: before deleting {volume} (request {run.request_id})",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}],
    )["SnapshotId"]
    return {"snapshot_id": snapshot}


def _find_snapshot(run: StepRun) -> dict[str, Any] | None:
    found = run.ctx.client("ec2").describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": f"tag:{STEP_TOKEN_TAG}", "Values": [run.token]}]
    )["Snapshots"]
    return {"snapshot_id": found[0]["SnapshotId"]} if found else None


def _volume_gone(run: StepRun) -> dict[str, Any] | None:
    try:
        volumes = run.ctx.client("ec2").describe_volumes(VolumeIds=[run.finding.resource_id])
    except ClientError as exc:
        if is_not_found(exc):
            return {"gone": run.finding.resource_id}
        raise
    states = {v.get("State") for v in volumes["Volumes"]}
    return {"gone": run.finding.resource_id} if states <= {"deleting", "deleted"} else None


@action
class SnapshotAndDeleteVolume(CleanupAction):
    """Snapshot an unattached volume (tagged with where it came from), then delete it."""

    name = "snapshot-and-delete-volume"
    permissions = (
        "ec2:CreateSnapshot",
        "ec2:CreateTags",
        "ec2:DeleteVolume",
        "ec2:DescribeSnapshots",
        "ec2:DescribeVolumes",
    )
    undo_label = "Restore volume"

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        volume = restore_volume(ctx, restore, request_id=request_id)
        return f"volume `{volume}` restored from snapshot `{restore['snapshot_id']}`"

    def describe(self, finding: Finding) -> str:
        return f"Snapshot, then delete EBS volume `{finding.resource_id}` ({finding.size})"

    def steps(self, finding: Finding) -> list[Step]:
        # A started snapshot completes even when its volume is deleted meanwhile.
        delete = tolerating_not_found(
            lambda run: run.ctx.client("ec2").delete_volume(VolumeId=run.finding.resource_id)
        )
        return [
            Step("snapshot", "CreateSnapshot", _create_snapshot, _find_snapshot),
            Step("delete", "DeleteVolume", delete, _volume_gone),
        ]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        snapshot = str(outcomes["snapshot"]["snapshot_id"])
        details = finding.details
        restore = {
            "snapshot_id": snapshot,
            "availability_zone": details.get("availability_zone"),
            "volume_type": details.get("volume_type"),
            "size_gb": details.get("size_gb"),
            "iops": details.get("iops"),
            "throughput": details.get("throughput"),
            "tags": finding.tags,
        }
        return Outcome(
            f"snapshot `{snapshot}` taken, then volume `{finding.resource_id}` deleted",
            restore=restore,
            created=[snapshot],
        )


@action
class ReleaseAddress(CleanupAction):
    """Release an unassociated Elastic IP."""

    name = "release-address"
    permissions = ("ec2:ReleaseAddress", "ec2:DescribeAddresses")

    def describe(self, finding: Finding) -> str:
        ip = finding.details.get("public_ip") or finding.name
        return f"Release Elastic IP `{ip}` (`{finding.resource_id}`)"

    def steps(self, finding: Finding) -> list[Step]:
        def release(run: StepRun) -> Any:
            return run.ctx.client("ec2").release_address(AllocationId=run.finding.resource_id)

        def describe(run: StepRun) -> Any:
            return run.ctx.client("ec2").describe_addresses(AllocationIds=[run.finding.resource_id])

        return [Step("release", "ReleaseAddress", tolerating_not_found(release), gone(describe))]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return Outcome(f"address `{finding.details.get('public_ip')}` released")


@action
class DeleteSnapshot(CleanupAction):
    """Delete an old snapshot of a deleted volume."""

    name = "delete-snapshot"
    permissions = ("ec2:DeleteSnapshot", "ec2:DescribeSnapshots")

    def describe(self, finding: Finding) -> str:
        return f"Delete snapshot `{finding.resource_id}` ({finding.size})"

    def steps(self, finding: Finding) -> list[Step]:
        def delete(run: StepRun) -> Any:
            return run.ctx.client("ec2").delete_snapshot(SnapshotId=run.finding.resource_id)

        def describe(run: StepRun) -> Any:
            return run.ctx.client("ec2").describe_snapshots(SnapshotIds=[run.finding.resource_id])

        return [Step("delete", "DeleteSnapshot", tolerating_not_found(delete), gone(describe))]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return Outcome(f"snapshot `{finding.resource_id}` deleted")


@action
class DeleteLoadBalancer(CleanupAction):
    """Delete a load balancer with nothing behind it."""

    name = "delete-load-balancer"
    permissions = (
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DescribeLoadBalancers",
    )

    def describe(self, finding: Finding) -> str:
        return f"Delete {finding.size} `{finding.name or finding.resource_id}`"

    def steps(self, finding: Finding) -> list[Step]:
        def delete(run: StepRun) -> Any:
            name = run.finding.resource_id
            if name.startswith("arn:"):
                return run.ctx.client("elbv2").delete_load_balancer(LoadBalancerArn=name)
            return run.ctx.client("elb").delete_load_balancer(LoadBalancerName=name)

        def describe(run: StepRun) -> Any:
            name = run.finding.resource_id
            if name.startswith("arn:"):
                return run.ctx.client("elbv2").describe_load_balancers(LoadBalancerArns=[name])
            return run.ctx.client("elb").describe_load_balancers(LoadBalancerNames=[name])

        return [Step("delete", "DeleteLoadBalancer", tolerating_not_found(delete), gone(describe))]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return Outcome(f"load balancer `{finding.name or finding.resource_id}` deleted")


def _image_name(run: StepRun) -> str:
    return f"finops-bot-{run.finding.resource_id}-request-{run.request_id}"


def _find_image(run: StepRun) -> dict[str, Any] | None:
    ec2 = run.ctx.client("ec2")
    for name, value in ((f"tag:{STEP_TOKEN_TAG}", run.token), ("name", _image_name(run))):
        found = ec2.describe_images(Owners=["self"], Filters=[{"Name": name, "Values": [value]}])
        if found["Images"]:
            return {"image_id": found["Images"][0]["ImageId"]}
    return None


def _create_image(run: StepRun) -> dict[str, Any]:
    # CreateImage takes no ClientToken; the AMI name is unique per account and region,
    # so a retried step is refused as a duplicate and the first image is found instead.
    tags = _bot_tags(run.finding, run.request_id, **{STEP_TOKEN_TAG: run.token})
    try:
        image = run.ctx.client("ec2").create_image(
            InstanceId=run.finding.resource_id,
            Name=_image_name(run),
            Description=f"finops-bot: before terminating {run.finding.resource_id}",
            NoReboot=True,
            TagSpecifications=[{"ResourceType": "image", "Tags": tags}],
        )["ImageId"]
    except ClientError as exc:
        found = _find_image(run) if error_code(exc) == "InvalidAMIName.Duplicate" else None
        if found is None:
            raise
        return found
    return {"image_id": image}


def _terminated(run: StepRun) -> dict[str, Any] | None:
    state = instance_state(run, run.finding.resource_id)
    if state is None or state[0] in ("shutting-down", "terminated"):
        return {"terminated": run.finding.resource_id}
    return None


def _terminate(run: StepRun) -> dict[str, Any]:
    run.ctx.client("ec2").terminate_instances(InstanceIds=[run.finding.resource_id])
    return {"terminated": run.finding.resource_id}


#: Image, then terminate: shared by the stopped-instance cleanup and idle-instance advice.
IMAGE_AND_TERMINATE_STEPS = (
    Step("image", "CreateImage", _create_image, _find_image),
    Step("terminate", "TerminateInstances", _terminate, _terminated),
)


def image_and_terminate_outcome(finding: Finding, outcomes: Outcomes) -> Outcome:
    """What imaging then terminating an instance did."""
    image = str(outcomes["image"]["image_id"])
    return Outcome(
        f"AMI `{image}` created, then instance `{finding.resource_id}` terminated "
        "(launch from the AMI to bring it back)",
        created=[image],
    )


@action
class ImageAndTerminateInstance(CleanupAction):
    """Create an AMI of a long-stopped instance (its volumes), then terminate it."""

    name = "image-and-terminate-instance"
    permissions = (
        "ec2:CreateImage",
        "ec2:CreateTags",
        "ec2:TerminateInstances",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
    )

    def describe(self, finding: Finding) -> str:
        return (
            f"Create an AMI of instance `{finding.resource_id}` ({finding.size}), then terminate it"
        )

    def steps(self, finding: Finding) -> list[Step]:
        return list(IMAGE_AND_TERMINATE_STEPS)

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return image_and_terminate_outcome(finding, outcomes)


#: IAM actions `restore_volume` needs (creating a tagged volume from a snapshot).
RESTORE_PERMISSIONS = ("ec2:CreateVolume", "ec2:CreateTags")


def restore_volume(ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
    """Create a volume from a pre-delete snapshot, with the original's tags; its id."""
    kwargs: dict[str, Any] = {
        "SnapshotId": restore["snapshot_id"],
        "AvailabilityZone": restore["availability_zone"],
        "VolumeType": restore.get("volume_type") or "gp3",
    }
    if restore.get("iops") and kwargs["VolumeType"] in ("gp3", "io1", "io2"):
        kwargs["Iops"] = int(restore["iops"])
    if restore.get("throughput") and kwargs["VolumeType"] == "gp3":
        kwargs["Throughput"] = int(restore["throughput"])
    tags = dict(restore.get("tags") or {})
    tags.update({"finops:restored-from": restore["snapshot_id"], REQUEST_TAG: str(request_id)})
    if restore.get("restore_token"):  # a retried restore gets the volume the first one made
        kwargs["ClientToken"] = str(restore["restore_token"])
    kwargs["TagSpecifications"] = [
        {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    ]
    return str(ctx.client("ec2").create_volume(**kwargs)["VolumeId"])


from bot.remediation import (  # noqa: E402 - registering actions
    budget_actions,  # noqa: F401
    compute_actions,  # noqa: F401
    rightsize_actions,  # noqa: F401
    storage_actions,  # noqa: F401
)
