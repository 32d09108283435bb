"""The demo AWS estate seeded into moto: every category of finding is really there."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from standins.demo_estate import PROTECT_TAG, EstateSummary, seed_demo_estate

NOW = datetime.now(UTC).replace(microsecond=0)
REGIONS = ("us-east-1", "eu-west-1")

_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or []}


def ec2(session: boto3.Session, region: str) -> Any:
    return session.client("ec2", region_name=region)


def _cpu(session: boto3.Session, region: str, instance_id: str) -> list[float]:
    answer = session.client("cloudwatch", region_name=region).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "cpu",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EC2",
                        "MetricName": "CPUUtilization",
                        "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    },
                    "Period": 3600,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=NOW - timedelta(days=14, hours=1),
        EndTime=NOW,
    )
    return [float(v) for v in answer["MetricDataResults"][0]["Values"]]


@pytest.fixture(scope="class")
def estate() -> Iterator[tuple[EstateSummary, boto3.Session]]:
    """The estate seeded once into `mock_aws()`; torn down when the class using it ends."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in _ENV.items():
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        with mock_aws():
            session = boto3.Session()
            summary = seed_demo_estate(session=session, regions=REGIONS, now=NOW)
            yield summary, session


class TestInProcessEstate:
    """Seeded once into `mock_aws()`; the mock ends with the class (before the server test)."""

    def test_small_enough(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, _ = estate
        assert 30 < summary.tagged_resource_count < 80
        assert len(summary.account_id) == 12 and summary.account_id.isdigit()
        assert set(summary.ami_ids) == set(REGIONS)

    def test_instances_by_profile(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        for region in REGIONS:
            described = {
                i["InstanceId"]: i
                for r in ec2(session, region).describe_instances()["Reservations"]
                for i in r["Instances"]
            }
            assert set(described) == (
                set(summary.instance_ids(region=region)) | set(summary.compute.instance_ids[region])
            )
            for profile in ("busy", "idle", "moderate"):
                ids = summary.instance_ids(profile, region=region)
                teams = {i.team for i in summary.instances if i.instance_id in ids}
                assert {"payments", "search", "data"} <= teams
                assert all(described[i]["State"]["Name"] == "running" for i in ids)
            (stopped,) = summary.instance_ids("stopped", region=region)
            assert described[stopped]["State"]["Name"] == "stopped"
            moderate = summary.instance_ids("moderate", region=region)
            assert {described[i]["InstanceType"] for i in moderate} == {"c5.xlarge"}
            (quiet,) = summary.instance_ids("nometrics", region=region)
            assert described[quiet]["State"]["Name"] == "running"
            assert _cpu(session, region, quiet) == []
            untagged = [i for i in summary.untagged_instance_ids if i in described]
            assert len(untagged) == 1 and tags_of(described[untagged[0]]) == {}
            for instance_id, instance in described.items():
                if instance_id in untagged:
                    continue
                tags = tags_of(instance)
                assert {"Team", "Owner", "Environment", "Project", "Workload"} <= set(tags)
                assert tags["Owner"].startswith("U0") or "@" in tags["Owner"]

    @pytest.mark.parametrize(
        ("profile", "low", "high"), [("busy", 50, 70), ("idle", 0, 5), ("moderate", 18, 32)]
    )
    def test_cpu_history_comes_back(
        self, estate: tuple[EstateSummary, boto3.Session], profile: str, low: float, high: float
    ) -> None:
        summary, session = estate
        for region in REGIONS:
            for instance_id in summary.instance_ids(profile, region=region):
                values = _cpu(session, region, instance_id)
                assert len(values) == 14 * 24
                assert low < statistics.mean(values) < high, (profile, instance_id)

    def test_stopped_instance_history_ends_before_it_stopped(
        self,
        estate: tuple[EstateSummary, boto3.Session],
    ) -> None:
        summary, session = estate
        (stopped,) = summary.instance_ids("stopped", region="eu-west-1")
        values = _cpu(session, "eu-west-1", stopped)
        assert 0 < len(values) == 9 * 24

    def test_orphaned_volumes(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        for region in REGIONS:
            volumes = {
                v["VolumeId"]: v
                for v in ec2(session, region).describe_volumes(
                    Filters=[{"Name": "status", "Values": ["available"]}]
                )["Volumes"]
            }
            mine = [v for v in summary.orphan_volume_ids if summary.region_of[v] == region]
            assert set(volumes) == set(mine)
            assert {volumes[v]["VolumeType"] for v in mine} == {"gp2", "gp3"}
            assert len({volumes[v]["Size"] for v in mine}) == len(mine)
            untagged = [v for v in mine if not tags_of(volumes[v])]
            assert untagged and set(untagged) <= set(summary.untagged_volume_ids)
            (protected,) = [v for v in summary.protected_volume_ids if v in volumes]
            assert tags_of(volumes[protected])[PROTECT_TAG] == "true"
            assert any(tags_of(volumes[v]).get("Team") for v in mine)

    def test_elastic_ips(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        for region in REGIONS:
            addresses = {
                a["AllocationId"]: a for a in ec2(session, region).describe_addresses()["Addresses"]
            }
            free = [a for a in summary.unassociated_eip_allocation_ids if a in addresses]
            used = [a for a in summary.associated_eip_allocation_ids if a in addresses]
            assert len(free) == 2 and len(used) == 1
            # moto answers "" (AWS omits the key) for an unassociated address.
            assert all(not addresses[a].get("AssociationId") for a in free)
            assert addresses[used[0]].get("AssociationId")
            assert addresses[used[0]]["InstanceId"] in summary.instance_ids("busy", region=region)
            assert {bool(tags_of(addresses[a])) for a in free} == {True, False}

    def test_load_balancers(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        for region in REGIONS:
            elbv2 = session.client("elbv2", region_name=region)
            balancers = {
                b["LoadBalancerArn"]: b for b in elbv2.describe_load_balancers()["LoadBalancers"]
            }
            assert len(balancers) == 2
            assert all(b["Type"] == "application" for b in balancers.values())
            for arn in summary.empty_target_group_arns + summary.used_target_group_arns:
                if summary.region_of[arn] != region:
                    continue
                health = elbv2.describe_target_health(TargetGroupArn=arn)[
                    "TargetHealthDescriptions"
                ]
                assert len(health) == (0 if arn in summary.empty_target_group_arns else 1)
                (group,) = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
                assert set(group["LoadBalancerArns"]) <= set(balancers)
            idle = [b for b in summary.idle_load_balancer_arns if b in balancers]
            assert len(idle) == 1
            tags = elbv2.describe_tags(ResourceArns=idle)["TagDescriptions"][0]["Tags"]
            assert tags_of({"Tags": tags})["Team"] == "search"

    def test_snapshots(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        for region in REGIONS:
            client = ec2(session, region)
            snapshots = {
                s["SnapshotId"]: s
                for s in client.describe_snapshots(OwnerIds=["self"])["Snapshots"]
            }
            volumes = {v["VolumeId"] for v in client.describe_volumes()["Volumes"]}
            orphans = [s for s in summary.orphan_snapshot_ids if s in snapshots]
            assert len(orphans) == 2
            assert all(snapshots[s]["VolumeId"] not in volumes for s in orphans)
            kept = [s for s in summary.snapshots_with_volume_ids if s in snapshots]
            assert kept and all(snapshots[s]["VolumeId"] in volumes for s in kept)
            image_snapshots = {
                m["Ebs"]["SnapshotId"]
                for image in client.describe_images(Owners=["self"])["Images"]
                for m in image["BlockDeviceMappings"]
                if "Ebs" in m
            }
            ami = [s for s in summary.ami_snapshot_ids if s in snapshots]
            assert ami and set(ami) <= image_snapshots
            assert set(snapshots) == set(orphans) | set(kept) | set(ami)

    def test_buckets(self, estate: tuple[EstateSummary, boto3.Session]) -> None:
        summary, session = estate
        s3 = session.client("s3", region_name="us-east-1")
        names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert names == set(summary.buckets_with_lifecycle) | set(summary.buckets_without_lifecycle)
        for bucket in summary.buckets_with_lifecycle:
            rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
            assert rules and rules[0]["Status"] == "Enabled"
        for bucket in summary.buckets_without_lifecycle:
            with pytest.raises(ClientError) as error:
                s3.get_bucket_lifecycle_configuration(Bucket=bucket)
            assert error.value.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        for bucket in names:
            assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] > 0


def test_seeding_a_threaded_moto_server_is_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.server import ThreadedMotoServer

    for key, value in _ENV.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        started = time.perf_counter()
        summary = seed_demo_estate(
            session=boto3.Session(), now=NOW, endpoint_url=f"http://{host}:{port}"
        )
        assert time.perf_counter() - started < 15
        client = boto3.client("ec2", region_name="eu-west-1", endpoint_url=f"http://{host}:{port}")
        found = {
            i["InstanceId"]
            for r in client.describe_instances()["Reservations"]
            for i in r["Instances"]
        }
        assert found == (
            set(summary.instance_ids(region="eu-west-1"))
            | set(summary.compute.instance_ids["eu-west-1"])
        )
    finally:
        server.stop()
