"""What the demo estate seeder created (`EstateSummary`), and the ageing of its leftovers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from standins.demo_compute import ComputeEstate


@dataclass(frozen=True)
class SeededInstance:
    """One EC2 instance the seeder created."""

    instance_id: str
    region: str
    team: str | None  # None: untagged
    profile: str  # "busy", "idle", "moderate", "stopped" or "nometrics"
    instance_type: str
    cpu_mean: float  # target mean of the seeded hourly CPUUtilization


@dataclass
class EstateSummary:
    """The ids of what `seed_demo_estate` created, by category (all regions together)."""

    regions: list[str]
    account_id: str = ""
    ami_ids: dict[str, str] = field(default_factory=dict)  # region -> AMI id
    #: Snapshots behind those AMIs: their source volume does not exist either, yet they are
    #: in use by an AMI and must not be reported as orphaned.
    ami_snapshot_ids: list[str] = field(default_factory=list)
    vpc_ids: dict[str, str] = field(default_factory=dict)
    instances: list[SeededInstance] = field(default_factory=list)
    #: Unattached (`available`) volumes: every one is an orphan candidate.
    orphan_volume_ids: list[str] = field(default_factory=list)
    untagged_volume_ids: list[str] = field(default_factory=list)
    protected_volume_ids: list[str] = field(default_factory=list)  # finops:protect=true
    unassociated_eip_allocation_ids: list[str] = field(default_factory=list)
    untagged_eip_allocation_ids: list[str] = field(default_factory=list)
    associated_eip_allocation_ids: list[str] = field(default_factory=list)
    #: ALBs whose only target group has no registered targets.
    idle_load_balancer_arns: list[str] = field(default_factory=list)
    active_load_balancer_arns: list[str] = field(default_factory=list)
    empty_target_group_arns: list[str] = field(default_factory=list)
    used_target_group_arns: list[str] = field(default_factory=list)
    #: Snapshots whose source volume was deleted (orphans), and one per region whose
    #: volume still exists (not an orphan).
    orphan_snapshot_ids: list[str] = field(default_factory=list)
    snapshots_with_volume_ids: list[str] = field(default_factory=list)
    buckets_with_lifecycle: list[str] = field(default_factory=list)
    buckets_without_lifecycle: list[str] = field(default_factory=list)
    region_of: dict[str, str] = field(default_factory=dict)  # resource id/ARN -> region
    compute: ComputeEstate = field(default_factory=ComputeEstate)  # ASGs, ECS, Fargate
    tagged_resource_count: int = 0

    def instance_ids(self, profile: str | None = None, *, region: str | None = None) -> list[str]:
        """Instance ids, optionally only those of a profile and/or a region."""
        return [
            i.instance_id
            for i in self.instances
            if (profile is None or i.profile == profile) and (region is None or i.region == region)
        ]

    @property
    def untagged_instance_ids(self) -> list[str]:
        """Instances with no tags at all."""
        return [i.instance_id for i in self.instances if i.team is None]


#: How old the demo's leftovers are, so the real default age rules (snapshots 90 days,
#: stopped instances 30) report them as they would in a real account.
SNAPSHOT_AGE = timedelta(days=140)
STOPPED_AGE = timedelta(days=45)
VOLUME_AGE = timedelta(days=60)


def age_demo_estate(summary: EstateSummary, now: datetime) -> None:
    """Backdate the seeded leftovers inside the in-process moto backend (moto stamps
    everything "now"): orphaned snapshots, the stopped instances' stop time, the
    unattached volumes. Only for the demo's own in-process moto."""
    from moto.backends import get_backend

    backends = get_backend("ec2")[summary.account_id]
    for snapshot_id in summary.orphan_snapshot_ids:
        snapshot = backends[summary.region_of[snapshot_id]].snapshots.get(snapshot_id)
        if snapshot is not None:
            snapshot.start_time = now - SNAPSHOT_AGE
    for volume_id in summary.orphan_volume_ids:
        volume = backends[summary.region_of[volume_id]].volumes.get(volume_id)
        if volume is not None:
            volume.create_time = now - VOLUME_AGE
    stopped_at = (now - STOPPED_AGE).strftime("%Y-%m-%d %H:%M:%S UTC")
    for seeded in summary.instances:
        if seeded.profile == "stopped":
            instance = backends[seeded.region].get_instance(seeded.instance_id)
            instance._reason = f"User initiated ({stopped_at})"
