"""Every finding kind against moto: what is waste is found and priced, what is not is not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bot.orphans import ScanFilter, default_prices, scan
from bot.orphans.kinds.stopped_instances import stopped_at
from bot.orphans.model import TargetContext, load_kinds
from bot.services import Services
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401

Findings = dict[str, Any]


def found(services: Services, **scope: str) -> dict[str, Any]:
    result = scan(services.aws, services.config, now=services.now, scope=ScanFilter(**scope))
    assert result.failures == []
    return {f.resource_id: f for f in result.findings}


def test_registry_holds_every_kind_with_its_cleanup() -> None:
    kinds = load_kinds()
    assert set(kinds) == {"volume", "address", "load-balancer", "snapshot", "stopped-instance"}
    from bot.remediation.actions import ACTIONS

    assert all(k.action in ACTIONS and k.permissions for k in kinds.values())


def test_unattached_volume_is_found_priced_and_attached_one_never(
    svc: Services,
    estate: Estate,
) -> None:
    loose = estate.volume(100, "gp2", "payments", Name="old-data")
    io1 = estate.ec2().create_volume(
        AvailabilityZone="us-east-1a", Size=50, VolumeType="io1", Iops=1000
    )["VolumeId"]
    attached = estate.volume(200, "gp3", "payments")
    instance = estate.instance()
    estate.ec2().attach_volume(VolumeId=attached, InstanceId=instance, Device="/dev/sdf")
    findings = found(svc, kind="volume")
    assert attached not in findings
    volume = findings[loose]
    assert (volume.monthly_cost, volume.team, volume.owner, volume.name) == (
        Decimal("10.00"),
        "payments",
        "U0PAYDEV",
        "old-data",
    )
    assert volume.size == "100 GiB gp2" and volume.region == "us-east-1"
    assert volume.account == "123456789012" and volume.action == "snapshot-and-delete-volume"
    # io1: 50 GB x 0.125 + 1,000 IOPS x 0.065
    assert findings[io1].monthly_cost == Decimal("71.25") and findings[io1].team is None


def test_protected_resources_are_reported_but_offer_no_cleanup(
    svc: Services,
    estate: Estate,
) -> None:
    volume = estate.volume(50, "gp3", "search", **{"finops:protect": "true"})
    finding = found(svc)[volume]
    assert finding.protected and finding.action is None
    assert finding.monthly_cost == Decimal("4.00")


def test_unassociated_address_found_associated_not(svc: Services, estate: Estate) -> None:
    free = estate.address("search")
    used = estate.address("payments")
    estate.ec2().associate_address(AllocationId=used, InstanceId=estate.instance())
    findings = found(svc, kind="address")
    assert used not in findings
    assert findings[free].monthly_cost == Decimal("3.65")  # 730 h x $0.005
    assert findings[free].owner == "lee@example.com"


def _alb(session: boto3.Session, name: str, target: str | None) -> str:
    ec2 = session.client("ec2", region_name="us-east-1")
    elbv2 = session.client("elbv2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in enumerate("ab")
    ]
    arn = elbv2.create_load_balancer(
        Name=name, Subnets=subnets, Type="application", Tags=[{"Key": "Team", "Value": "search"}]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    if target:
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": target}])
    return str(arn)


def test_load_balancers_with_nothing_behind_them(svc: Services, estate: Estate) -> None:
    idle = _alb(estate.session, "idle", None)
    busy = _alb(estate.session, "busy", estate.instance())
    elb = estate.session.client("elb", region_name="us-east-1")
    listener = [{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}]
    elb.create_load_balancer(
        LoadBalancerName="classic-empty",
        Listeners=listener,
        AvailabilityZones=["us-east-1a"],
        Tags=[{"Key": "Team", "Value": "payments"}],
    )
    elb.create_load_balancer(
        LoadBalancerName="classic-used", Listeners=listener, AvailabilityZones=["us-east-1a"]
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="classic-used", Instances=[{"InstanceId": estate.instance()}]
    )
    findings = found(svc, kind="load-balancer")
    assert set(findings) == {idle, "classic-empty"}, findings.keys()
    assert busy not in findings
    assert findings[idle].monthly_cost == Decimal("16.43")  # 730 h x $0.0225
    assert findings[idle].team == "search" and findings[idle].name == "idle"
    assert findings["classic-empty"].monthly_cost == Decimal("18.25")  # 730 h x $0.025
    assert findings["classic-empty"].team == "payments"


def test_snapshots_old_without_volume_or_ami(
    svc: Services,
    estate: Estate,
    clock: Clock,
) -> None:
    ec2 = estate.ec2()
    gone = estate.volume(200, "gp2", "payments")
    orphan = ec2.create_snapshot(VolumeId=gone)["SnapshotId"]
    ec2.delete_volume(VolumeId=gone)
    kept_volume = estate.volume(30, "gp2", "payments")
    with_volume = ec2.create_snapshot(VolumeId=kept_volume)["SnapshotId"]
    estate.instance()  # registers an AMI whose snapshot has no source volume
    images = ec2.describe_images(Owners=["self"])["Images"]
    ami_snapshots = {m["Ebs"]["SnapshotId"] for i in images for m in i["BlockDeviceMappings"]}
    assert ami_snapshots
    assert found(svc, kind="snapshot") == {}  # everything is new
    clock.advance(days=89, hours=23)
    assert found(svc, kind="snapshot") == {}
    clock.advance(hours=2)
    findings = found(svc, kind="snapshot")
    assert set(findings) == {orphan}
    assert with_volume not in findings and not ami_snapshots & set(findings)
    assert findings[orphan].monthly_cost == Decimal("10.00")
    assert findings[orphan].age_days == 90


def test_instances_stopped_long_enough(
    svc: Services,
    estate: Estate,
    clock: Clock,
) -> None:
    stopped = estate.instance()
    running = estate.instance()
    estate.ec2().stop_instances(InstanceIds=[stopped])
    assert found(svc, kind="stopped-instance") == {}
    clock.advance(days=31)
    findings = found(svc, kind="stopped-instance")
    assert set(findings) == {stopped} and running not in findings
    assert findings[stopped].monthly_cost == Decimal("0.80")  # its 8 GiB gp2 root volume
    assert findings[stopped].age_days in (30, 31)


def test_stop_time_is_read_from_the_transition_reason() -> None:
    moment = stopped_at({"StateTransitionReason": "User initiated (2024-01-31 12:00:00 GMT)"})
    assert moment is not None and moment.isoformat() == "2024-01-31T12:00:00+00:00"
    assert stopped_at({"StateTransitionReason": ""}) is None


def test_filters_by_team_and_region(svc: Services, estate: Estate) -> None:
    mine = estate.volume(10, "gp2", "payments")
    theirs = estate.volume(10, "gp2", "search")
    ireland = estate.volume(10, "gp2", "payments", region="eu-west-1")
    assert set(found(svc, team="payments")) == {mine, ireland}
    assert set(found(svc, region="eu-west-1")) == {ireland}
    assert theirs in found(svc)
    assert found(svc, region="eu-west-1")[ireland].monthly_cost == Decimal("1.10")


def test_one_region_failing_does_not_sink_the_report(svc: Services, estate: Estate) -> None:
    mine = estate.volume(10, "gp2", "payments")
    estate.volume(10, "gp2", "payments", region="eu-west-1")

    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeVolumes"
        )

    ireland = svc.aws.client("ec2", region="eu-west-1")
    ireland.meta.events.register("before-call.ec2.DescribeVolumes", deny)
    result = scan(svc.aws, svc.config, now=svc.now)
    assert [f.resource_id for f in result.findings if f.kind == "volume"] == [mine]
    failed = {(f.region, f.kind) for f in result.failures}
    assert ("eu-west-1", "volume") in failed
    assert all(f.region == "eu-west-1" for f in result.failures)
    assert "AccessDenied" in result.failures[0].message


def test_volumes_are_read_across_pages(svc: Services) -> None:
    """moto ignores MaxResults, so the paginator is exercised with botocore's Stubber."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    page = {"State": "available", "Size": 10, "VolumeType": "gp2", "AvailabilityZone": "x"}
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_volumes",
            {"Volumes": [{**page, "VolumeId": "vol-1"}], "NextToken": "t"},
            {"MaxResults": 500},  # bounded pages: the API's largest
        )
        stub.add_response(
            "describe_volumes",
            {"Volumes": [{**page, "VolumeId": "vol-2"}]},
            {"MaxResults": 500, "NextToken": "t"},
        )
        ctx = TargetContext(
            client=lambda _: ec2,
            account="1",
            region="us-east-1",
            config=svc.config,
            now=svc.now(),
            prices=default_prices(),
        )
        findings = load_kinds()["volume"].scan(ctx)
    assert [f.resource_id for f in findings] == ["vol-1", "vol-2"]
