"""`scan_rightsizing` against moto: what is recommended, priced and sorted; no data; the
team and region filters; a failing region; and GetMetricData batching."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from bot.advice import rightsizing
from bot.advice.rightsizing import (
    ACTION_CHANGE,
    ACTION_STOP,
    ACTION_TERMINATE,
    KIND_IDLE,
    KIND_OVERSIZED,
    cpu_by_instance,
    scan_rightsizing,
)
from bot.orphans.scanner import ScanFilter
from bot.services import Services
from tests.orphans_fixtures import Clock, aws, clock  # noqa: F401
from tests.rightsize_fixtures import launch, put_cpu, rs, steady  # noqa: F401


def by_id(findings: list[Any]) -> dict[str, Any]:
    return {f.resource_id: f for f in findings}


def test_recommendations_priced_and_sorted(rs: Services, clock: Clock) -> None:
    now = clock()
    idle = launch("m5.large", "payments", Name="idle-worker")
    put_cpu(idle, steady(2.0, 5.0), now)
    oversized = launch("c5.xlarge", "payments")
    put_cpu(oversized, steady(25.0, 45.0), now)
    busy = launch("m5.xlarge", "payments")
    put_cpu(busy, steady(60.0), now)
    terminable = launch("t3.large", "search")
    put_cpu(terminable, steady(1.0), now)
    smallest = launch("m5.large", "payments")
    put_cpu(smallest, steady(30.0), now)
    uncatalogued = launch("t2.micro", "payments")
    put_cpu(uncatalogued, steady(3.0), now)
    protected = launch("m5.xlarge", "payments", **{"finops:protect": "true"})
    put_cpu(protected, steady(1.0), now)
    silent = launch("t3.medium", "search")
    young = launch("t3.medium", "payments")
    put_cpu(young, steady(5.0, hours=24), now)
    stopped = launch("m5.large", "payments")
    put_cpu(stopped, steady(1.0), now)
    boto3.client("ec2", region_name="us-east-1").stop_instances(InstanceIds=[stopped])

    report = scan_rightsizing(rs)
    found = by_id(report.findings)
    assert set(found) == {idle, oversized, terminable, smallest, uncatalogued, protected}
    assert report.instances == 9 and not report.failures
    stop = found[idle]
    assert (stop.kind, stop.action, stop.monthly_cost) == (KIND_IDLE, ACTION_STOP, Decimal("70.08"))
    assert stop.details["average"] == pytest.approx(2.0, abs=0.01)
    assert stop.details["p95"] == pytest.approx(5.0, abs=0.01)
    assert stop.details["hours"] == 14 * 24  # the whole window, hour by hour
    assert "EBS volumes keep costing" in stop.reason and stop.name == "idle-worker"
    change = found[oversized]
    assert (change.kind, change.action) == (KIND_OVERSIZED, ACTION_CHANGE)
    assert change.details["proposed_type"] == "c5.large" and change.monthly_cost == Decimal("62.05")
    assert found[terminable].action == ACTION_TERMINATE  # search allows terminate
    assert found[terminable].monthly_cost == Decimal("60.74")  # $0.0832 x 730
    assert found[smallest].action is None and not found[smallest].protected
    assert "smallest size" in found[smallest].reason
    assert found[uncatalogued].details["saving_known"] is False
    assert "not in the catalogue" in found[uncatalogued].reason
    assert found[protected].protected and found[protected].action is None
    # Largest saving first (protected $140.16 included), no $ figure last.
    assert [f.resource_id for f in report.findings][:4] == [protected, idle, oversized, terminable]
    assert {f.resource_id for f in report.findings[-2:]} == {uncatalogued, smallest}
    assert report.total == Decimal("70.08") + Decimal("62.05") + Decimal("60.74")
    labels = {n.instance_id: n.label for n in report.no_data}
    assert labels == {silent: "no data", young: "not enough data (24 h)"}


def test_team_and_region_filters(rs: Services, clock: Clock) -> None:
    now = clock()
    payments = launch("m5.large", "payments")
    put_cpu(payments, steady(1.0), now)
    search = launch("m5.large", "search", region="eu-west-1")
    put_cpu(search, steady(1.0), now, region="eu-west-1")
    silent = launch("t3.small", "payments", region="eu-west-1")
    report = scan_rightsizing(rs, ScanFilter(team="search"))
    assert [f.resource_id for f in report.findings] == [search] and not report.no_data
    assert report.instances == 1  # the team's running instances, not everyone's
    assert scan_rightsizing(rs, ScanFilter(team="payments")).instances == 2
    assert scan_rightsizing(rs).instances == 3
    assert report.findings[0].region == "eu-west-1"
    report = scan_rightsizing(rs, ScanFilter(region="us-east-1"))
    assert [f.resource_id for f in report.findings] == [payments] and not report.no_data
    report = scan_rightsizing(rs, ScanFilter(region="eu-west-1", team="payments"))
    assert not report.findings and [n.instance_id for n in report.no_data] == [silent]


def test_one_failing_region_is_reported_and_the_rest_comes_back(
    rs: Services,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    idle = launch("m5.large", "payments")
    put_cpu(idle, steady(1.0), clock())
    real = rightsizing.scan_instances

    def flaky(ctx: Any) -> Any:
        if ctx.region == "eu-west-1":
            raise RuntimeError("throttled")
        return real(ctx)

    monkeypatch.setattr(rightsizing, "scan_instances", flaky)
    report = scan_rightsizing(rs)
    assert [f.resource_id for f in report.findings] == [idle]
    assert [(f.region, "throttled" in f.message) for f in report.failures] == [("eu-west-1", True)]


def counting(client: Any) -> list[int]:
    """Count GetMetricData calls (and their query counts) made with `client`."""
    calls: list[int] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        calls.append(len(params["MetricDataQueries"]))

    client.meta.events.register("provide-client-params.cloudwatch.GetMetricData", hook)
    return calls


@pytest.mark.parametrize(
    ("queries", "expected"), [(1, [1]), (500, [500]), (501, [500, 1]), (1001, [500, 500, 1])]
)
def test_cpu_is_fetched_in_batches_of_500(
    aws: boto3.Session,
    clock: Clock,
    queries: int,
    expected: list[int],
) -> None:
    cloudwatch = aws.client("cloudwatch", region_name="us-east-1")
    calls = counting(cloudwatch)
    put_cpu("i-0000000000000007", steady(12.0, hours=100), clock())
    ids = [f"i-{n:016x}" for n in range(queries)]
    cpu = cpu_by_instance(cloudwatch, ids, start=clock() - timedelta(days=14), end=clock())
    assert calls == expected
    assert len(cpu) == queries and cpu[ids[-1]] is None
    if queries > 7:
        seen = cpu["i-0000000000000007"]
        assert seen is not None and seen.hours == 100 and seen.average == pytest.approx(12.0)


def test_a_scan_makes_one_call_per_region_for_many_instances(
    rs: Services,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(6):
        put_cpu(launch("m5.large", "payments"), steady(1.0 + n), clock())
    sizes: list[int] = []
    real = rightsizing.fetch_hourly

    def spy(client: Any, queries: Any, **kwargs: Any) -> Any:
        calls = counting(client)
        result = real(client, queries, **kwargs)
        client.meta.events.unregister("provide-client-params.cloudwatch.GetMetricData")
        sizes.extend(calls)
        return result

    monkeypatch.setattr(rightsizing, "fetch_hourly", spy)
    report = scan_rightsizing(rs, ScanFilter(region="us-east-1"))
    assert sizes == [6] and len(report.findings) == 6


def test_auto_scaling_group_members_are_reported_without_a_button(
    rs: Services,
    clock: Clock,
) -> None:
    launch("t3.nano", None)  # registers the AMI the launch template uses
    ec2 = boto3.client("ec2", region_name="us-east-1")
    image = ec2.describe_images(Owners=["self"])["Images"][0]["ImageId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="nodes",
        LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    boto3.client("autoscaling", region_name="us-east-1").create_auto_scaling_group(
        AutoScalingGroupName="web-nodes",
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=2,
        AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateId": template},
        Tags=[
            {
                "Key": "Team",
                "Value": "payments",
                "PropagateAtLaunch": True,
                "ResourceId": "web-nodes",
                "ResourceType": "auto-scaling-group",
            }
        ],
    )
    members = [
        i["InstanceId"]
        for r in ec2.describe_instances(
            Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["web-nodes"]}]
        )["Reservations"]
        for i in r["Instances"]
    ]
    assert len(members) == 2
    put_cpu(members[0], steady(1.0), clock())
    report = scan_rightsizing(rs, ScanFilter(team="payments"))
    (finding,) = report.findings
    assert finding.resource_id == members[0] and finding.action is None
    assert not finding.protected and "Auto Scaling group web-nodes" in finding.reason
    assert [(n.instance_id, n.group) for n in report.no_data] == [(members[1], "web-nodes")]
    assert report.total == 0  # nothing the bot would do itself
