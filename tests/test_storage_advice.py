"""Storage advice against moto: gp2 → gp3 and S3 lifecycle policies, their savings in
Decimal, batching of GetMetricData, and every change through approval and audit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bot.advice import storage_buckets as buckets
from bot.advice.storage import scan_storage
from bot.audit_export import events
from bot.config import StorageConfig
from bot.inventory.requests import request_storage_change as request_change
from bot.orphans.model import TargetContext
from bot.orphans.prices import default_prices
from bot.orphans.scanner import ScanFilter, target_context
from bot.remediation import service
from bot.remediation.service import ResourceRef
from bot.services import Services
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401
from tests.storage_advice_fixtures import bucket, lifecycle_rules, sizes, volume_type

ACCOUNT = "123456789012"


def ref(kind: str, resource_id: str, region: str = "us-east-1") -> ResourceRef:
    return ResourceRef(kind=kind, region=region, account=ACCOUNT, resource_id=resource_id)


def ctx_for(svc: Services, region: str = "us-east-1") -> TargetContext:
    return target_context(svc.aws, svc.config, account=ACCOUNT, region=region, now=svc.now())


def approve_and_run(
    svc: Services,
    kind: str,
    resource_id: str,
    region: str = "us-east-1",
) -> service.Execution:
    opened = request_change(svc, ref(kind, resource_id, region), user="U0DEV")
    assert opened.request is not None, opened.problem
    decision = service.decide(svc, opened.request.id, user="U0LEAD", approve=True)
    assert decision.outcome == "approved"
    return service.execute(svc, opened.request.id)


# --- gp2 → gp3 ---------------------------------------------------------------------------


def test_gp2_volumes_are_listed_with_their_saving_and_gp3_ones_are_not(
    svc: Services,
    estate: Estate,
) -> None:
    small = estate.volume(100, "gp2", "payments")
    big = estate.volume(2000, "gp2", "payments")
    irish = estate.volume(100, "gp2", "search", region="eu-west-1")
    estate.volume(100, "gp3", "payments")
    estate.volume(500, "st1", "payments")
    server = estate.instance()
    estate.ec2().attach_volume(VolumeId=small, InstanceId=server, Device="/dev/sdf")
    [root] = [
        v["VolumeId"]
        for v in estate.ec2().describe_volumes()["Volumes"]
        if v["Attachments"] and v["VolumeId"] != small
    ]
    report = scan_storage(svc)
    saving = {f.resource_id: f.monthly_cost for f in report.volumes}
    # us-east-1: gp2 $0.10, gp3 $0.08 per GB-month; eu-west-1: $0.11 and $0.088.
    assert saving[small] == Decimal("2.00")
    assert saving[irish] == Decimal("2.20")
    # 2,000 GiB gp2 has a 6,000 IOPS baseline: gp3 keeps it with 3,000 paid IOPS at $0.005.
    assert saving[big] == Decimal("200.00") - (Decimal("160.00") + Decimal("15.00"))
    assert set(saving) - {small, big, irish} == {root} and saving[root] == Decimal("0.16")
    assert report.volumes[0].resource_id == big  # largest saving first
    # Unattached ones are waste (`/orphans` deletes them): gp3 is only their alternative,
    # without a button and outside the total; the attached one counts.
    by_id = {f.resource_id: f for f in report.volumes}
    assert by_id[small].action is not None
    assert by_id[big].action is None and by_id[irish].action is None
    assert report.volume_saving == Decimal("2.16")  # the attached one and the root volume
    assert all(isinstance(f.monthly_cost, Decimal) for f in report.volumes)


def test_team_and_region_filters(svc: Services, estate: Estate) -> None:
    estate.volume(100, "gp2", "payments")
    irish = estate.volume(100, "gp2", "search", region="eu-west-1")
    assert [f.resource_id for f in scan_storage(svc, ScanFilter(team="search")).volumes] == [irish]
    assert [f.resource_id for f in scan_storage(svc, ScanFilter(region="eu-west-1")).volumes] == [
        irish
    ]


def test_volume_change_is_approved_then_made_and_audited(
    svc: Services,
    estate: Estate,
) -> None:
    volume = estate.volume(100, "gp2", "payments")
    done = approve_and_run(svc, "gp2-volume", volume)
    assert done.outcome == "executed", done.message
    assert volume_type(volume) == "gp3"
    audit = events(svc.db)
    assert [e["status"] for e in audit] == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "executed",
    ]
    assert audit[-1]["action"] == "modify-volume-gp3"
    assert audit[-1]["monthly_saving"] == "2.00" and audit[-1]["decided_by"] == "U0LEAD"
    assert scan_storage(svc).volumes == []


def test_volume_approval_by_someone_else_is_refused(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments")
    opened = request_change(svc, ref("gp2-volume", volume), user="U0DEV")
    assert opened.request is not None
    for user in ("U0SLEAD", "U0DEV"):  # another team's approver; the requester
        decision = service.decide(svc, opened.request.id, user=user, approve=True)
        assert decision.outcome == "refused"
    assert service.execute(svc, opened.request.id).outcome == "not_claimed"
    assert volume_type(volume) == "gp2"
    assert [e["status"] for e in events(svc.db)] == ["requested", "refused", "refused"]


def test_volume_changed_meanwhile_is_skipped(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments")
    opened = request_change(svc, ref("gp2-volume", volume), user="U0DEV")
    assert opened.request is not None
    estate.ec2().modify_volume(VolumeId=volume, VolumeType="io1", Iops=200)
    service.decide(svc, opened.request.id, user="U0LEAD", approve=True)
    done = service.execute(svc, opened.request.id)
    assert done.outcome == "skipped" and "already io1" in done.message
    assert volume_type(volume) == "io1"
    assert request_change(svc, ref("gp2-volume", volume), user="U0DEV").problem.startswith(
        "nothing to change"
    )


def test_protected_volume_is_listed_but_never_changed(svc: Services, estate: Estate) -> None:
    protect = svc.config.tags.protect
    volume = estate.volume(100, "gp2", "payments", **{protect: "true"})
    [finding] = scan_storage(svc).volumes
    assert finding.protected and finding.action is None
    assert "never changed" in request_change(svc, ref("gp2-volume", volume), user="U0DEV").problem


def test_volume_protected_after_the_request_is_skipped(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments")
    opened = request_change(svc, ref("gp2-volume", volume), user="U0DEV")
    assert opened.request is not None
    estate.ec2().create_tags(
        Resources=[volume], Tags=[{"Key": svc.config.tags.protect, "Value": "yes"}]
    )
    service.decide(svc, opened.request.id, user="U0LEAD", approve=True)
    assert service.execute(svc, opened.request.id).outcome == "skipped"
    assert volume_type(volume) == "gp2"


# --- S3 lifecycle --------------------------------------------------------------------------


def test_bucket_saving_math_in_decimal(svc: Services) -> None:
    ctx = ctx_for(svc)
    gib = 1024**3
    saving = buckets.lifecycle_saving(
        ctx, {"standard": 1000 * gib, "standard_ia": 100 * gib}, StorageConfig()
    )
    # Now: 1,000 GiB at $0.023 + 100 GiB at $0.0125. Under the policy the Standard bytes split
    # 40 % Standard, 20 % IA ($0.0125), 25 % Glacier ($0.0036), 15 % expired.
    assert saving.current == Decimal("24.25")
    assert saving.proposed == Decimal("1000") * (
        Decimal("0.4") * Decimal("0.023")
        + Decimal("0.2") * Decimal("0.0125")
        + Decimal("0.25") * Decimal("0.0036")
    ) + Decimal("1.25")
    assert saving.monthly == Decimal("10.40")
    keep = StorageConfig(expire_after_days=None)  # the oldest stay in Glacier instead
    assert buckets.lifecycle_saving(ctx, {"standard": 1000 * gib}, keep).monthly == Decimal(
        "10.40"
    ) - Decimal("0.54")
    assert buckets.lifecycle_saving(ctx, {"glacier": 1000 * gib}, keep).monthly == 0


def test_buckets_without_lifecycle_are_listed_with_sizes_or_no_data(svc: Services) -> None:
    now = svc.now()
    bucket("logs-payments")
    sizes("logs-payments", now, StandardStorage=1000, StandardIAStorage=100)
    bucket("tidy-payments", lifecycle=True)
    sizes("tidy-payments", now, StandardStorage=5000)
    bucket("quiet-payments")
    bucket("eu-search", region="eu-west-1", team="search")
    sizes("eu-search", now, region="eu-west-1", StandardStorage=100)
    report = scan_storage(svc)
    found = {f.resource_id: f for f in report.buckets}
    assert set(found) == {"logs-payments", "quiet-payments", "eu-search"}
    logs = found["logs-payments"]
    assert logs.monthly_cost == Decimal("10.40") and logs.team == "payments"
    assert logs.details["sizes"] == {"standard": 1000 * 1024**3, "standard_ia": 100 * 1024**3}
    quiet = found["quiet-payments"]
    assert quiet.details["no_data"] and quiet.monthly_cost == 0 and quiet.size == "no data"
    assert found["eu-search"].region == "eu-west-1"
    assert found["eu-search"].monthly_cost == Decimal("1.04")  # eu-west-1 prices: same here
    assert report.bucket_saving == Decimal("11.44")


def test_metrics_are_fetched_in_batches_of_500_queries(svc: Services) -> None:
    names = [f"bucket-{n:03d}" for n in range(120)]  # 120 buckets, 5 storage types = 600 queries
    for name in names:
        bucket(name)
    sizes(names[0], svc.now(), StandardStorage=10)
    sizes(names[-1], svc.now(), GlacierStorage=20)
    real = ctx_for(svc)
    calls: list[int] = []

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def get_metric_data(self, **kwargs: Any) -> Any:
            calls.append(len(kwargs["MetricDataQueries"]))
            return self.inner.get_metric_data(**kwargs)

    ctx = TargetContext(
        client=lambda s: Counting(real.client(s)),
        account=ACCOUNT,
        region="us-east-1",
        config=svc.config,
        now=svc.now(),
        prices=default_prices(),
    )
    found = buckets.bucket_sizes(ctx, names)
    assert calls == [500, 100]
    assert found == {names[0]: {"standard": 10 * 1024**3}, names[-1]: {"glacier": 20 * 1024**3}}


def test_lifecycle_policy_is_applied_after_approval_and_audited(svc: Services) -> None:
    bucket("logs-payments")
    sizes("logs-payments", svc.now(), StandardStorage=1000)
    done = approve_and_run(svc, "s3-lifecycle", "logs-payments")
    assert done.outcome == "executed", done.message
    [rule] = lifecycle_rules("logs-payments")
    assert rule["ID"] == "finops-bot-lifecycle" and rule["Expiration"] == {"Days": 365}
    assert rule["Transitions"] == [
        {"Days": 30, "StorageClass": "STANDARD_IA"},
        {"Days": 90, "StorageClass": "GLACIER"},
    ]
    audit = events(svc.db)
    assert [e["status"] for e in audit] == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "executed",
    ]
    assert audit[-1]["action"] == "put-bucket-lifecycle"
    assert audit[-1]["monthly_saving"] == "10.40"
    assert scan_storage(svc).buckets == []


def test_configured_policy_is_the_one_applied(svc: Services) -> None:
    svc.config = svc.config.model_copy(
        update={
            "storage": StorageConfig(
                ia_after_days=45, glacier_after_days=180, expire_after_days=None
            )
        }
    )
    bucket("keep-forever", region="eu-west-1")
    assert approve_and_run(svc, "s3-lifecycle", "keep-forever", "eu-west-1").outcome == "executed"
    [rule] = lifecycle_rules("keep-forever", "eu-west-1")
    assert "Expiration" not in rule
    assert [t["Days"] for t in rule["Transitions"]] == [45, 180]


def test_bucket_given_a_lifecycle_meanwhile_is_skipped(svc: Services) -> None:
    bucket("logs-payments")
    opened = request_change(svc, ref("s3-lifecycle", "logs-payments"), user="U0DEV")
    assert opened.request is not None
    bucket_rules = {
        "Rules": [
            {
                "ID": "owner",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Expiration": {"Days": 10},
            }
        ]
    }
    import boto3

    boto3.client("s3", region_name="us-east-1").put_bucket_lifecycle_configuration(
        Bucket="logs-payments", LifecycleConfiguration=bucket_rules
    )
    service.decide(svc, opened.request.id, user="U0LEAD", approve=True)
    done = service.execute(svc, opened.request.id)
    assert done.outcome == "skipped" and "has a lifecycle configuration now" in done.message
    assert [r["ID"] for r in lifecycle_rules("logs-payments")] == ["owner"]


def test_bucket_rejected_or_refused_is_left_alone(svc: Services) -> None:
    bucket("logs-payments")
    opened = request_change(svc, ref("s3-lifecycle", "logs-payments"), user="U0DEV")
    assert opened.request is not None
    assert service.decide(svc, opened.request.id, user="U0SLEAD", approve=True).outcome == "refused"
    assert (
        service.decide(svc, opened.request.id, user="U0LEAD", approve=False).outcome == "rejected"
    )
    assert service.execute(svc, opened.request.id).outcome == "not_claimed"
    assert lifecycle_rules("logs-payments") == []


def test_request_for_missing_bucket_or_unknown_kind(svc: Services) -> None:
    assert (
        "no longer exists"
        in request_change(svc, ref("s3-lifecycle", "gone-bucket"), user="U0DEV").problem
    )
    assert "unknown kind" in request_change(svc, ref("nope", "x"), user="U0DEV").problem


def test_storage_config_defaults_and_validation() -> None:
    rule = StorageConfig()
    assert (rule.ia_after_days, rule.glacier_after_days, rule.expire_after_days) == (30, 90, 365)
    assert buckets.policy_text(rule) == (
        "Standard-IA after 30 days, Glacier after 90, expire after 365"
    )
    with pytest.raises(ValidationError, match="more days than ia_after_days"):
        StorageConfig(ia_after_days=60, glacier_after_days=40)
    with pytest.raises(ValidationError, match="adding up to 1"):
        StorageConfig(age_shares={"younger_than_ia": "0.9"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        StorageConfig(ia_after_days=10)  # S3 moves to Standard-IA after 30 days at the soonest


def test_intelligent_tiering_alternative_is_estimated_too(svc: Services) -> None:
    gib = 1024**3
    saving = buckets.tiering_saving(ctx_for(svc), {"standard": 1000 * gib}, StorageConfig())
    # 40 % stay in the frequent tier ($0.023), 60 % move to the infrequent one ($0.0125).
    assert saving.proposed == Decimal("1000") * (
        Decimal("0.4") * Decimal("0.023") + Decimal("0.6") * Decimal("0.0125")
    )
    assert saving.monthly == Decimal("6.30")
    bucket("logs-payments")
    sizes("logs-payments", svc.now(), StandardStorage=1000)
    [finding] = scan_storage(svc).buckets
    assert finding.details["tiering_saving"] == "6.30"
