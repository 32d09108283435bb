"""Compute advice against moto: spot by workload tag, ECS capacity, Fargate vs EC2 — their
thresholds' edges, Decimal savings, one GetMetricData call per region, and both in-place
changes through request, approval, re-check, execution and undo."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError

from bot.advice import compute_ecs as ecs
from bot.advice.catalogue import default_catalogue
from bot.advice.compute import ComputeReport, scan_compute
from bot.config_advice import ComputeConfig
from bot.inventory.requests import request_compute_change as request_change
from bot.orphans.model import Finding
from bot.orphans.scanner import ScanFilter
from bot.remediation import service
from bot.remediation.service import ResourceRef
from bot.render.compute import compute_message
from bot.services import Services
from tests.compute_fixtures import (
    asg,
    catalogue,
    cluster,
    count_calls,
    fargate,
    group,
    instance,
    reservations,
)
from tests.orphans_fixtures import aws, clock, svc  # noqa: F401

ACCOUNT = "123456789012"
M5_LARGE = Decimal("70.08")  # 0.096 x 730 in us-east-1


def by_id(report: ComputeReport) -> dict[str, object]:
    return {f.resource_id: f for f in report.findings}


def test_spot_advice_by_workload_tag(svc: Services) -> None:
    asg("batch-asg", desired=4, workload="Batch")
    asg("web-asg", desired=3, workload="web", team="search")
    asg("api-asg", desired=2, workload="api")
    asg("bare-asg", desired=1, workload=None)
    asg("mixed-asg", desired=2, workload="batch", mixed_on_demand_pct=20)
    asg("lc-asg", desired=1, workload="analytics", launch_configuration=True)
    asg("locked-asg", desired=1, workload="batch", **{"finops:protect": "true"})
    lone = instance("batch")
    instance("api")
    instance(None)
    report = scan_compute(svc, ScanFilter(region="us-east-1"))
    found = {f.resource_id: f for f in report.findings}
    assert found.pop("locked-asg").protected  # reported, never changed, not in the total
    assert set(found) == {"batch-asg", "web-asg", "lc-asg", lone}  # ASG instances not twice
    assert found["batch-asg"].monthly_cost == Decimal("196.22")  # 4 x 70.08 x 70 %
    assert found["batch-asg"].action == "asg-spot-mix" and found["batch-asg"].team == "payments"
    assert found["web-asg"].monthly_cost == Decimal("117.73")  # 3 x 70.08 x 80 % x 70 %
    assert "20 % on-demand, 80 % spot" in found["web-asg"].reason
    assert found["lc-asg"].action is None and "launch template" in found["lc-asg"].reason
    assert found[lone].monthly_cost == Decimal("49.06") and found[lone].action is None
    assert "advisory" in found[lone].reason
    assert all(isinstance(f.monthly_cost, Decimal) for f in report.findings)
    kept = {f.resource_id: f for f in report.on_demand}
    assert "api-asg" in kept and "mixed-asg" not in kept and len(kept) == 2
    assert kept["api-asg"].monthly_cost == Decimal("0.00")
    assert kept["api-asg"].reason.startswith("api: stays on-demand")
    assert report.untagged_count == 2  # bare-asg and the untagged instance
    assert report.total == Decimal("196.22") + Decimal("117.73") + Decimal("49.06") + (
        found["lc-asg"].monthly_cost
    )
    search = scan_compute(svc, ScanFilter(team="search", region="us-east-1"))
    assert [f.resource_id for f in search.findings] == ["web-asg"]
    assert search.untagged_count == 0 and not search.on_demand


def test_target_nodes_and_thresholds() -> None:
    config = ComputeConfig()
    assert ecs.target_nodes(4, Decimal("49.9"), 2) == 3  # ceil(2.495)
    assert ecs.target_nodes(10, Decimal("40"), 2) == 5
    assert ecs.target_nodes(3, Decimal("5"), 2) == 2  # never under the minimum
    assert ecs.under_reserved(config, Decimal("49.9"), Decimal("49.9"))
    assert not ecs.under_reserved(config, Decimal("50"), Decimal("10"))
    assert not ecs.under_reserved(config, Decimal("10"), Decimal("50"))
    assert not ecs.fargate_recommended(config, Decimal("100.00"), Decimal("1.00"))
    assert ecs.fargate_recommended(config, Decimal("100.01"), Decimal("70.00"))
    assert not ecs.fargate_recommended(config, Decimal("200.00"), Decimal("140.00"))
    assert ecs.fargate_recommended(config, Decimal("200.00"), Decimal("139.99"))


def test_ec2_equivalent_packs_on_the_cheapest_type() -> None:
    prices = default_catalogue()
    families = ["m6i", "c6i", "r6i"]
    general = ecs.ec2_equivalent(
        prices, "us-east-1", families, vcpu=Decimal(12), memory_gib=Decimal(48)
    )
    assert general is not None and general.monthly == Decimal("420.48")
    assert (general.instance_type.name, general.count) == ("m6i.xlarge", 3)  # ties: fewer
    memory = ecs.ec2_equivalent(
        prices, "us-east-1", families, vcpu=Decimal(12), memory_gib=Decimal(96)
    )
    assert memory is not None and (memory.instance_type.name, memory.count) == ("r6i.xlarge", 3)
    assert memory.monthly == Decimal("551.88")


def test_ecs_capacity_edges_and_one_metric_call(svc: Services, clock: object) -> None:
    now: datetime = svc.now()
    low = [20.0] * 23
    cluster("under")  # 4 nodes in an ASG, peak 49.9 %: 3 nodes
    reservations("under", now, cpu=[*low, 49.9], memory=[*low, 30.0])
    cluster("edge")  # peak exactly 50 %: left alone
    reservations("edge", now, cpu=[*low, 50.0], memory=[*low, 10.0])
    cluster("quiet", nodes=3, in_asg=False)  # 3 stand-alone nodes at 10 %: the minimum, 2
    reservations("quiet", now, cpu=[10.0] * 24, memory=[5.0] * 24)
    cluster("silent")  # no metrics
    cluster("small", nodes=2)  # already at the minimum: not even fetched
    reservations("small", now, cpu=[1.0] * 24, memory=[1.0] * 24)
    with count_calls() as calls:
        report = scan_compute(svc, ScanFilter(region="us-east-1"))
    assert calls.count("GetMetricData") == 1
    found = {f.resource_id: f for f in report.findings if f.kind == ecs.KIND_ECS}
    assert set(found) == {"under", "quiet"}
    assert found["under"].details["target"] == 3 and found["under"].monthly_cost == M5_LARGE
    assert found["under"].action == ecs.ACTION_ECS
    assert found["under"].details["asg"] == "under-nodes"
    assert found["under"].details["cpu_peak"] == "49.9"
    assert found["quiet"].details["target"] == 2 and found["quiet"].monthly_cost == M5_LARGE
    assert found["quiet"].action is None and "by hand" in found["quiet"].reason
    assert [f.resource_id for f in report.no_data] == ["silent"]
    assert report.no_data[0].monthly_cost == Decimal("0.00")


def test_fargate_cost_and_ratio_edges(svc: Services) -> None:
    # $1 a vCPU-hour for 100 hours: a 1 vCPU task costs exactly $100 a month.
    exact = fargate("apps", "exactly-100", tasks=1, cpu="1024", memory="2048")
    pair = fargate("apps", "pair", tasks=2, cpu="1024", memory="2048")  # $200
    at_seventy = scan_compute(
        svc, ScanFilter(region="us-east-1"), catalogue=catalogue(m6i_large_hour="1.40")
    )  # EC2 $140: 70 %
    assert not [f for f in at_seventy.findings if f.kind == ecs.KIND_FARGATE]
    assert len(at_seventy.notes) == 1 and "`pair`" in at_seventy.notes[0]
    assert "(70 %)" in at_seventy.notes[0] and "stays on Fargate" in at_seventy.notes[0]
    under = scan_compute(
        svc, ScanFilter(region="us-east-1"), catalogue=catalogue(m6i_large_hour="1.39")
    )  # EC2 $139: 69.5 %
    moved = [f for f in under.findings if f.kind == ecs.KIND_FARGATE]
    assert [f.resource_id for f in moved] == [pair] and exact not in str(under.notes)
    assert moved[0].monthly_cost == Decimal("61.00") and moved[0].action is None
    assert moved[0].details["ec2_type"] == "m6i.large" and moved[0].details["ec2_count"] == 1
    assert moved[0].team == "payments" and "deploy change" in moved[0].reason


def approve(svc: Services, kind: str, resource_id: str) -> int:
    opened = request_change(svc, ResourceRef(kind, "us-east-1", ACCOUNT, resource_id), user="U0DEV")
    assert opened.request is not None, opened.problem
    decision = service.decide(svc, opened.request.id, user="U0LEAD", approve=True)
    assert decision.outcome == "approved"
    return opened.request.id


def test_changes_recheck_execute_and_undo(svc: Services) -> None:
    asg("web-asg", desired=3, workload="web")
    request_id = approve(svc, "spot-asg", "web-asg")
    assert service.decide(svc, request_id, user="U0LEAD", approve=True).outcome == "closed"
    run = service.execute(svc, request_id)
    assert run.outcome == "executed", run.message
    assert service.execute(svc, request_id).outcome == "not_claimed"  # acts once
    policy = group("web-asg")["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 20
    assert {"InstanceType": "m5.large"} in policy["LaunchTemplate"]["Overrides"]
    again = request_change(
        svc, ResourceRef("spot-asg", "us-east-1", ACCOUNT, "web-asg"), user="U0DEV"
    )
    assert "already uses a spot mix" in again.problem
    undone = service.restore(svc, request_id, user="U0LEAD")
    assert undone.outcome == "restored", undone.message
    assert (
        group("web-asg")["MixedInstancesPolicy"]["InstancesDistribution"][
            "OnDemandPercentageAboveBaseCapacity"
        ]
        == 100
    )

    # Re-checked right before acting: changed meanwhile, so nothing is done.
    asg("batch-asg", desired=2, workload="batch")
    request_id = approve(svc, "spot-asg", "batch-asg")
    boto3.client("autoscaling", region_name="us-east-1").create_or_update_tags(
        Tags=[
            {
                "ResourceId": "batch-asg",
                "ResourceType": "auto-scaling-group",
                "Key": "Workload",
                "Value": "database",
                "PropagateAtLaunch": True,
            }
        ]
    )
    skipped = service.execute(svc, request_id)
    assert skipped.outcome == "skipped" and "not tagged as a spot workload" in skipped.message
    assert "MixedInstancesPolicy" not in group("batch-asg")

    cluster("jobs")
    reservations("jobs", svc.now(), cpu=[30.0] * 24, memory=[20.0] * 24)
    request_id = approve(svc, "ecs-overprovisioned", "jobs")
    run = service.execute(svc, request_id)
    assert run.outcome == "executed", run.message
    assert group("jobs-nodes")["DesiredCapacity"] == 2  # ceil(4 x 30 / 80) = 2
    assert "4 → 2" in run.message
    undone = service.restore(svc, request_id, user="U0LEAD")
    assert undone.outcome == "restored" and group("jobs-nodes")["DesiredCapacity"] == 4


def test_advisory_kinds_have_no_request(svc: Services) -> None:
    lone = instance("batch")
    result = request_change(
        svc, ResourceRef("spot-instance", "us-east-1", ACCOUNT, lone), user="U0DEV"
    )
    assert result.request is None and "advisory" in result.problem
    asg("lc-asg", desired=2, workload="batch", launch_configuration=True)
    result = request_change(
        svc, ResourceRef("spot-asg", "us-east-1", ACCOUNT, "lc-asg"), user="U0DEV"
    )
    assert result.request is None and "move it to a launch template first" in result.problem


def test_one_failing_part_does_not_sink_the_report(
    svc: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asg("batch-asg", desired=1, workload="batch")

    def denied(*args: object) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListClusters"
        )

    monkeypatch.setattr(ecs, "scan_ecs", denied)
    report = scan_compute(svc)
    assert [f.resource_id for f in report.findings] == ["batch-asg"]
    assert {(f.region, f.kind) for f in report.failures} == {
        ("us-east-1", "ecs"),
        ("eu-west-1", "ecs"),
    }


def test_answer_stays_within_slack_limits() -> None:
    def finding(kind: str, n: int) -> Finding:
        return Finding(
            resource_id=f"{kind}-{n}",
            kind=kind,
            resource_type="x",
            region="us-east-1",
            account=ACCOUNT,
            name="",
            size="4 x m5.large",
            age_days=None,
            tags={},
            team="payments",
            owner=None,
            monthly_cost=Decimal("10.00"),
            approximate=False,
            action="asg-spot-mix",
            reason="r" * 500,
        )

    kinds = ("spot-asg", "ecs-overprovisioned", "spot-instance", "fargate-to-ec2")
    report = ComputeReport(
        findings=[finding(k, n) for k in kinds for n in range(60)],
        on_demand=[finding("keep-on-demand", n) for n in range(300)],
        no_data=[finding("ecs-no-data", n) for n in range(30)],
        notes=["n" * 400] * 40,
        untagged=["i-1"] * 7,
    )
    message = compute_message(report, scope=ScanFilter(), config=ComputeConfig(), as_of="x")
    assert len(message["blocks"]) <= 50 and "$2,400.00/month" in message["text"]
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts)
    assert any(
        "7 instances and ASGs have no `Workload` tag" in json.dumps(b) for b in message["blocks"]
    )
    assert sum(1 for b in message["blocks"] if "accessory" in b) > 0
