"""Seed a small, realistic AWS estate into moto for the demo and the tests.

Per region: a demo VPC; instances of the payments, search and data teams (busy, idle and
moderately used, one stopped) plus an untagged one, with 14 days of hourly CPUUtilization,
and one running instance with no CPU metrics at all (profile "nometrics");
orphaned EBS volumes; Elastic IPs (two unassociated, one associated); two ALBs (one whose
only target group is empty); snapshots whose source volume is gone. Plus S3 buckets with
and without lifecycle rules. `EstateSummary` lists what was created, by category, so tests
know which findings should exist.

Works with `MOTO_EC2_LOAD_DEFAULT_AMIS=false`: an AMI is registered in each region first.
Against a real account this would create real (billable) resources: use it with moto only.
What was created, and the ageing of the leftovers, are in `standins/demo_summary.py`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from standins.demo_buckets import seed_buckets
from standins.demo_compute import seed_compute_estate
from standins.demo_summary import EstateSummary, SeededInstance, age_demo_estate

TEAMS = ("payments", "search", "data")
OWNERS = {"payments": "U0PAYDEV", "search": "dana@example.com", "data": "U0DATAENG"}
PROJECTS = {"payments": "checkout", "search": "search-api", "data": "lakehouse"}
PROTECT_TAG = "finops:protect"
CPU_HISTORY_DAYS = 14
#: AWS accepts at most 1,000 metric data points in one PutMetricData call.
METRIC_BATCH = 1000

_CLIENT_CONFIG = Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 3})

#: (profile, instance type, workload, mean CPU %) for each team's running instances.
_PROFILES = (
    ("busy", "m5.xlarge", "web", 60.0),
    ("idle", "m5.large", "batch", 2.0),
    ("moderate", "c5.xlarge", "api", 25.0),
)
#: Which team's instance is the stopped one, by region index (cycled).
_STOPPED_TEAMS = ("search", "data", "payments")


def _tags(team: str | None, **extra: str) -> list[dict[str, str]]:
    if team is None:
        return [{"Key": k, "Value": v} for k, v in extra.items()]
    tags = {"Team": team, "Owner": OWNERS[team], "Environment": "prod", "Project": PROJECTS[team]}
    tags.update(extra)
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _spec(resource_type: str, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def _cpu_series(
    rng: random.Random, mean: float, start: datetime, hours: int
) -> list[tuple[datetime, float]]:
    """Hourly CPU averages around `mean`, busier in the working day."""
    points = []
    for hour in range(hours):
        stamp = start + timedelta(hours=hour)
        daily = math.sin((stamp.hour - 8) / 24 * 2 * math.pi)  # peaks mid-afternoon
        value = mean * (1 + 0.25 * daily) + rng.gauss(0, mean * 0.08)
        points.append((stamp, round(min(max(value, 0.1), 100.0), 2)))
    return points


class _RegionSeeder:
    def __init__(
        self,
        session: boto3.Session,
        region: str,
        index: int,
        now: datetime,
        endpoint_url: str | None,
        rng: random.Random,
        summary: EstateSummary,
    ) -> None:
        def client(service: str) -> Any:
            return session.client(
                service, region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
            )

        self.ec2 = client("ec2")
        self.cloudwatch = client("cloudwatch")
        self.elbv2 = client("elbv2")
        self.region, self.index, self.now, self.rng, self.summary = (
            region,
            index,
            now,
            rng,
            summary,
        )
        self.metric_data: list[dict[str, Any]] = []

    def _note(self, resource: str, tagged: bool) -> None:
        self.summary.region_of[resource] = self.region
        if tagged:
            self.summary.tagged_resource_count += 1

    def seed(self) -> None:
        self._network()
        self._ami()
        self._instances()
        self._volumes_and_snapshots()
        self._addresses()
        self._load_balancers()
        self._put_metrics()

    def _network(self) -> None:
        vpc = self.ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        zones = [
            z["ZoneName"]
            for z in self.ec2.describe_availability_zones()["AvailabilityZones"]
            if z.get("State", "available") == "available"
        ][:2]
        self.subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{n}.0/24", AvailabilityZone=zone)[
                "Subnet"
            ]["SubnetId"]
            for n, zone in enumerate(zones)
        ]
        self.vpc = vpc
        self.summary.vpc_ids[self.region] = vpc

    def _ami(self) -> None:
        image = self.ec2.register_image(
            Name=f"finops-demo-base-{self.region}",
            Architecture="x86_64",
            RootDeviceName="/dev/xvda",
            VirtualizationType="hvm",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )
        self.ami = image["ImageId"]
        self.summary.ami_ids[self.region] = self.ami
        described = self.ec2.describe_images(ImageIds=[self.ami])["Images"][0]
        for mapping in described.get("BlockDeviceMappings", []):
            snapshot = mapping.get("Ebs", {}).get("SnapshotId")
            if snapshot:
                self.summary.ami_snapshot_ids.append(snapshot)
                self._note(snapshot, tagged=False)

    def _run(
        self, team: str | None, profile: str, instance_type: str, workload: str, n: int
    ) -> str:
        name = f"{team or 'scratch'}-{workload}-{n}"
        tags = _tags(team, Name=name, Workload=workload) if team else []
        instance = self.ec2.run_instances(
            ImageId=self.ami,
            InstanceType=instance_type,
            MinCount=1,
            MaxCount=1,
            SubnetId=self.subnets[n % len(self.subnets)],
            TagSpecifications=_spec("instance", tags),
        )["Instances"][0]["InstanceId"]
        self._note(instance, tagged=bool(tags))
        return str(instance)

    def _instances(self) -> None:
        hours = CPU_HISTORY_DAYS * 24  # the last point is the last full hour before now
        start = self.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
        n = 0
        running: list[tuple[str | None, str, str, str, float]] = [
            (team, *profile) for team in TEAMS for profile in _PROFILES
        ]
        running.append((None, "idle", "t3.large", "scratch", 1.5))
        for team, profile, instance_type, workload, cpu in running:
            n += 1
            instance = self._run(team, profile, instance_type, workload, n)
            self._record(instance, team, profile, instance_type, cpu, start, hours)
        # One running instance CloudWatch knows nothing about (rightsizing: "no data").
        instance = self._run("data", "nometrics", "t3.medium", "cache", n + 2)
        self._record(instance, "data", "nometrics", "t3.medium", 0.0, start, 0)
        # One stopped instance: it worked until five days ago.
        stopped_team = _STOPPED_TEAMS[self.index % len(_STOPPED_TEAMS)]
        instance = self._run(stopped_team, "stopped", "m5.large", "worker", n + 1)
        self.ec2.stop_instances(InstanceIds=[instance])
        self._record(instance, stopped_team, "stopped", "m5.large", 30.0, start, hours - 5 * 24)

    def _record(
        self,
        instance: str,
        team: str | None,
        profile: str,
        instance_type: str,
        cpu: float,
        start: datetime,
        hours: int,
    ) -> None:
        self.summary.instances.append(
            SeededInstance(instance, self.region, team, profile, instance_type, cpu)
        )
        dimensions = [{"Name": "InstanceId", "Value": instance}]
        for stamp, value in _cpu_series(self.rng, cpu, start, hours):
            self.metric_data.append(
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": dimensions,
                    "Timestamp": stamp,
                    "Value": value,
                    "Unit": "Percent",
                }
            )

    def _put_metrics(self) -> None:
        for first in range(0, len(self.metric_data), METRIC_BATCH):
            self.cloudwatch.put_metric_data(
                Namespace="AWS/EC2", MetricData=self.metric_data[first : first + METRIC_BATCH]
            )
        self.metric_data = []

    def _volume(self, size: int, volume_type: str, tags: list[dict[str, str]]) -> str:
        zone = self.ec2.describe_subnets(SubnetIds=[self.subnets[0]])["Subnets"][0][
            "AvailabilityZone"
        ]
        volume = self.ec2.create_volume(
            AvailabilityZone=zone,
            Size=size,
            VolumeType=volume_type,
            TagSpecifications=_spec("volume", tags),
        )["VolumeId"]
        self._note(volume, tagged=bool(tags))
        return str(volume)

    def _volumes_and_snapshots(self) -> None:
        summary = self.summary
        orphans = [
            (100, "gp2", _tags("payments", Name="payments-old-data")),
            (500, "gp3", _tags("data", Name="etl-scratch")),
            (20, "gp2", []),
            (50, "gp3", _tags("search", Name="search-index-backup", **{PROTECT_TAG: "true"})),
            # A small leftover too, so /orphans has more than one page ("Show more").
            (8, "gp2", _tags("payments", Name="ci-cache-2019")),
        ]
        for size, volume_type, tags in orphans:
            volume = self._volume(size, volume_type, tags)
            summary.orphan_volume_ids.append(volume)
            if not tags:
                summary.untagged_volume_ids.append(volume)
            if any(t["Key"] == PROTECT_TAG for t in tags):
                summary.protected_volume_ids.append(volume)
                # A snapshot whose source volume still exists: not an orphan.
                kept = self.ec2.create_snapshot(
                    VolumeId=volume,
                    Description="nightly backup",
                    TagSpecifications=_spec("snapshot", _tags("search")),
                )["SnapshotId"]
                summary.snapshots_with_volume_ids.append(kept)
                self._note(kept, tagged=True)
        for team, size in (("data", 200), (None, 30)):
            tags = _tags(team) if team else []
            volume = self._volume(size, "gp2", [])
            snapshot = self.ec2.create_snapshot(
                VolumeId=volume,
                Description=f"before decommissioning {volume}",
                TagSpecifications=_spec("snapshot", tags),
            )["SnapshotId"]
            self.ec2.delete_volume(VolumeId=volume)
            del summary.region_of[volume]
            summary.orphan_snapshot_ids.append(snapshot)
            self._note(snapshot, tagged=bool(tags))

    def _addresses(self) -> None:
        summary = self.summary
        for team in ("search", None):
            tags = _tags(team, Name="search-legacy-nat") if team else []
            allocation = self.ec2.allocate_address(
                Domain="vpc", TagSpecifications=_spec("elastic-ip", tags)
            )["AllocationId"]
            summary.unassociated_eip_allocation_ids.append(allocation)
            if not tags:
                summary.untagged_eip_allocation_ids.append(allocation)
            self._note(allocation, tagged=bool(tags))
        allocation = self.ec2.allocate_address(
            Domain="vpc", TagSpecifications=_spec("elastic-ip", _tags("payments"))
        )["AllocationId"]
        busy = self.summary.instance_ids("busy", region=self.region)[0]
        self.ec2.associate_address(AllocationId=allocation, InstanceId=busy)
        summary.associated_eip_allocation_ids.append(allocation)
        self._note(allocation, tagged=True)

    def _load_balancers(self) -> None:
        summary = self.summary
        busy_payments = next(
            i.instance_id
            for i in summary.instances
            if i.region == self.region and i.team == "payments" and i.profile == "busy"
        )
        for team, name, target in (
            ("payments", "payments-web", busy_payments),
            ("search", "search-legacy", None),
        ):
            tags = _tags(team)
            balancer = self.elbv2.create_load_balancer(
                Name=f"{name}-{self.index}",
                Subnets=self.subnets,
                Scheme="internet-facing",
                Type="application",
                Tags=tags,
            )["LoadBalancers"][0]["LoadBalancerArn"]
            group = self.elbv2.create_target_group(
                Name=f"{name}-tg-{self.index}",
                Protocol="HTTP",
                Port=80,
                VpcId=self.vpc,
                TargetType="instance",
                Tags=tags,
            )["TargetGroups"][0]["TargetGroupArn"]
            self.elbv2.create_listener(
                LoadBalancerArn=balancer,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
            )
            if target:
                self.elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": target}])
                summary.active_load_balancer_arns.append(balancer)
                summary.used_target_group_arns.append(group)
            else:
                summary.idle_load_balancer_arns.append(balancer)
                summary.empty_target_group_arns.append(group)
            self._note(balancer, tagged=True)
            self._note(group, tagged=True)


def seed_demo_estate(
    *,
    session: boto3.Session,
    regions: Sequence[str] = ("us-east-1", "eu-west-1"),
    now: datetime,
    endpoint_url: str | None = None,
    seed: int = 7,
) -> EstateSummary:
    """Create the demo estate with clients from `session` (moto only!) and describe it.

    `now` anchors the CPU history (hourly points for the 14 days before it); a naive
    datetime is taken as UTC. Call it once per fresh moto backend: names are fixed.
    """
    if not regions:
        raise ValueError("at least one region is needed")
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    sts = session.client(
        "sts", region_name=regions[0], endpoint_url=endpoint_url, config=_CLIENT_CONFIG
    )
    summary = EstateSummary(regions=list(regions))
    summary.account_id = str(sts.get_caller_identity()["Account"])
    rng = random.Random(seed)
    for index, region in enumerate(regions):
        _RegionSeeder(session, region, index, now, endpoint_url, rng, summary).seed()
    seed_buckets(session, regions, endpoint_url, summary, now)
    summary.compute = seed_compute_estate(
        session=session, regions=regions, now=now, endpoint_url=endpoint_url
    )
    return summary


__all__ = ["EstateSummary", "SeededInstance", "age_demo_estate", "seed_demo_estate"]
