"""Registered cleanup actions (Custodian-style): each says what it will do, which IAM
actions it needs, and does it. Destructive steps keep a way back where AWS allows one:
a volume is snapshotted before it is deleted, an instance imaged before it is terminated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from bot.orphans.model import (
    CREATED_BY_TAG,
    RESTORE_UNTIL_TAG,
    Finding,
    NotEligible,
    TargetContext,
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


class CleanupAction:
    """Base of every action."""

    name: ClassVar[str]
    permissions: ClassVar[tuple[str, ...]]
    undo_label: ClassVar[str] = "Undo"  # the button that undoes it (when it can be undone)

    def describe(self, finding: Finding) -> str:
        """What will happen, in one line (shown before anyone approves)."""
        raise NotImplementedError

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        """Undo it from its `Outcome.restore`; what was done, in a sentence."""
        raise NotImplementedError(f"{self.name} cannot be undone")

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        """Do it. AWS errors propagate; the caller records them."""
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


@action
class SnapshotAndDeleteVolume(CleanupAction):
    """Snapshot an unattached volume (tagged with where it came from), then delete it."""

    name = "snapshot-and-delete-volume"
    permissions = ("ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DeleteVolume")
    undo_label = "Restore volume"

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        volume = restore_volume(ctx, restore, request_id=request_id)
        return f"volume `{volume}` restored from snapshot `{restore['snapshot_id']}`"

    def describe(self, finding: Finding) -> str:
        return f"Snapshot, then delete EBS volume `{finding.resource_id}` ({finding.size})"

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        ec2 = ctx.client("ec2")
        snapshot = ec2.create_snapshot(
            VolumeId=finding.resource_id,
            Description=f"finops-bot: before deleting {finding.resource_id} (request {request_id})",
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": _bot_tags(
                        finding, request_id, **{RESTORE_UNTIL_TAG: restore_until.isoformat()}
                    ),
                }
            ],
        )["SnapshotId"]
        # A started snapshot completes even when its volume is deleted meanwhile.
        ec2.delete_volume(VolumeId=finding.resource_id)
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
    permissions = ("ec2:ReleaseAddress",)

    def describe(self, finding: Finding) -> str:
        ip = finding.details.get("public_ip") or finding.name
        return f"Release Elastic IP `{ip}` (`{finding.resource_id}`)"

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        ctx.client("ec2").release_address(AllocationId=finding.resource_id)
        return Outcome(f"address `{finding.details.get('public_ip')}` released")


@action
class DeleteSnapshot(CleanupAction):
    """Delete an old snapshot of a deleted volume."""

    name = "delete-snapshot"
    permissions = ("ec2:DeleteSnapshot",)

    def describe(self, finding: Finding) -> str:
        return f"Delete snapshot `{finding.resource_id}` ({finding.size})"

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        ctx.client("ec2").delete_snapshot(SnapshotId=finding.resource_id)
        return Outcome(f"snapshot `{finding.resource_id}` deleted")


@action
class DeleteLoadBalancer(CleanupAction):
    """Delete a load balancer with nothing behind it."""

    name = "delete-load-balancer"
    permissions = ("elasticloadbalancing:DeleteLoadBalancer",)

    def describe(self, finding: Finding) -> str:
        return f"Delete {finding.size} `{finding.name or finding.resource_id}`"

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        if finding.resource_id.startswith("arn:"):
            ctx.client("elbv2").delete_load_balancer(LoadBalancerArn=finding.resource_id)
        else:
            ctx.client("elb").delete_load_balancer(LoadBalancerName=finding.resource_id)
        return Outcome(f"load balancer `{finding.name or finding.resource_id}` deleted")


@action
class ImageAndTerminateInstance(CleanupAction):
    """Create an AMI of a long-stopped instance (its volumes), then terminate it."""

    name = "image-and-terminate-instance"
    permissions = ("ec2:CreateImage", "ec2:CreateTags", "ec2:TerminateInstances")

    def describe(self, finding: Finding) -> str:
        return (
            f"Create an AMI of instance `{finding.resource_id}` ({finding.size}), then terminate it"
        )

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        ec2 = ctx.client("ec2")
        image = ec2.create_image(
            InstanceId=finding.resource_id,
            Name=f"finops-bot-{finding.resource_id}-request-{request_id}",
            Description=f"finops-bot: before terminating {finding.resource_id}",
            NoReboot=True,
            TagSpecifications=[{"ResourceType": "image", "Tags": _bot_tags(finding, request_id)}],
        )["ImageId"]
        ec2.terminate_instances(InstanceIds=[finding.resource_id])
        return Outcome(
            f"AMI `{image}` created, then instance `{finding.resource_id}` terminated "
            "(launch from the AMI to bring it back)",
            created=[image],
        )


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
