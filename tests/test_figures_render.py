"""What the listings say about their figures: the ≈ note only with a marked line (naming
its region), and `/savings` lines in their own command's words and buttons."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from bot.advice.savings import Recommendation, SavingsReport
from bot.orphans.model import Finding
from bot.orphans.scanner import ScanFilter
from bot.render.estimates import approx_note
from bot.render.savings import savings_message


def finding(kind: str, resource_id: str, *, action: str | None = "x", **changes: object) -> Finding:
    base = Finding(
        resource_id=resource_id,
        kind=kind,
        resource_type="thing",
        region="us-east-1",
        account="123456789012",
        name="",
        size="",
        age_days=None,
        tags={},
        team="payments",
        owner=None,
        monthly_cost=Decimal("10.00"),
        approximate=False,
        action=action,
        reason="because",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_approx_note_needs_a_marked_line_and_names_its_region() -> None:
    exact = finding("volume", "vol-1")
    assert approx_note([exact]) == ""
    rough = finding("volume", "vol-2", region="ap-east-2", approximate=True)
    note = approx_note([exact, rough])
    assert note == "≈ ap-east-2 estimated with us-east-1 prices (not in the price table)"


def savings_of(*findings: tuple[Finding, str, str]) -> str:
    report = SavingsReport(items=[Recommendation(f, source, cmd) for f, source, cmd in findings])
    return json.dumps(savings_message(report, scope=ScanFilter()), ensure_ascii=False)


def test_savings_lines_use_their_commands_words_and_buttons() -> None:
    shown = savings_of(
        (finding("spot-asg", "web-asg", action="asg-spot-mix"), "compute", "/compute"),
        (finding("ecs-overprovisioned", "batch", action="ecs-fewer-nodes"), "compute", "/compute"),
        (finding("fargate-to-ec2", "api", action=None), "compute", "/compute"),
        (finding("gp2-volume", "vol-3", action="modify-volume-gp3"), "storage", "/storage"),
        (finding("s3-lifecycle", "logs", action="put-lifecycle"), "storage", "/storage"),
    )
    for raw in ("spot asg ·", "ecs overprovisioned ·", "fargate to ec2 ·"):
        assert raw not in shown
    assert "Auto Scaling group to move to spot ·" in shown
    assert "Fargate service cheaper on EC2 ·" in shown
    for button in (
        "Request spot mix",
        "Request fewer nodes",
        "Request gp3",
        "Request lifecycle policy",
    ):
        assert f'"text": "{button}"' in shown
    assert "Request change" not in shown
    assert "≈" not in shown and "us-east-1 prices" not in shown  # nothing marked


def test_one_recommendation_per_resource_waste_first_others_as_alternatives() -> None:
    from bot.advice.precedence import one_per_resource, resource_key

    stopped = finding("stopped-instance", "i-1", monthly_cost=Decimal("5.00"))
    spot = finding("spot-instance", "i-1", monthly_cost=Decimal("50.00"))
    stop = finding("idle-instance", "i-2", monthly_cost=Decimal("20.00"))
    spot2 = finding("spot-instance", "i-2", monthly_cost=Decimal("14.00"))
    gp3 = finding("gp2-volume", "vol-9", monthly_cost=Decimal("2.00"))
    chosen = one_per_resource(
        [
            ("compute", spot),
            ("orphans", stopped),
            ("compute", spot2),
            ("rightsizing", stop),
            ("storage", gp3),
        ]
    )
    first = chosen[resource_key(stopped)]
    assert (first.source, first.finding) == ("orphans", stopped)  # waste wins, even if smaller
    assert first.alternatives == [("compute", spot)]
    second = chosen[resource_key(stop)]
    assert (second.source, second.alternatives) == ("rightsizing", [("compute", spot2)])
    assert chosen[resource_key(gp3)].alternatives == []


def test_open_waste_counts_protected_findings_apart_in_orphans_and_the_table() -> None:
    from bot.orphans.prices import default_prices
    from bot.orphans.report import as_table
    from bot.orphans.scanner import ScanResult
    from bot.orphans.waste import open_waste
    from bot.render.orphans import orphans_message

    kept = finding("volume", "vol-1", monthly_cost=Decimal("10.00"))
    shielded = finding("volume", "vol-2", monthly_cost=Decimal("8.40"), protected=True)
    waste = open_waste([kept, shielded])
    assert (waste.amount, waste.count) == (Decimal("10.00"), 1)
    assert waste.protected_note() == "1 protected ($8.40/month) not counted"
    result = ScanResult(findings=[kept, shielded], targets=1)
    message = orphans_message(result, scope=ScanFilter(), prices=default_prices())
    assert message["text"].startswith("Waste: $10.00/month")
    assert "1 finding + 1 protected ($8.40/month) not counted" in json.dumps(message)
    assert "Total: $10.00/month in 1 finding(s); 1 protected ($8.40/month) not counted" in (
        as_table(result)
    )


def test_compute_leaves_spot_as_an_alternative_where_rightsize_proposes_a_stop() -> None:
    """`/compute` and `/rightsize` never both recommend for one instance: the stop wins
    (as in `/savings`), spot is only mentioned, with no saving counted."""
    from bot.advice.compute_spot import KIND_INSTANCE
    from bot.advice.rightsizing import KIND_IDLE
    from bot.config_advice import ComputeConfig
    from bot.inventory.listing import Listing
    from bot.inventory.reports import compute_kinds, compute_report
    from bot.render.compute import compute_message

    assert "rightsizing" in compute_kinds(ScanFilter())  # /compute reads rightsizing too
    idle_spot = finding(
        KIND_INSTANCE, "i-idle", monthly_cost=Decimal("49.06"), action=None, reason="batch: spot"
    )
    busy_spot = finding(KIND_INSTANCE, "i-busy", monthly_cost=Decimal("30.00"), action=None)
    stop = finding(
        KIND_IDLE, "i-idle", monthly_cost=Decimal("70.08"), reason="idle: avg 2 %; stop it"
    )
    report = compute_report(Listing(findings=[idle_spot, busy_spot, stop]), ScanFilter())
    assert [f.resource_id for f in report.findings] == ["i-idle", "i-busy"]
    assert report.total == Decimal("30.00")  # the stop is /rightsize's saving, not ours
    demoted = report.findings[0]
    assert demoted.details["superseded_by"] == "/rightsize"
    assert "`/rightsize` recommends: idle: avg 2 %" in demoted.reason
    shown = json.dumps(
        compute_message(report, scope=ScanFilter(), config=ComputeConfig(), as_of="2025-06-01")
    )
    assert "$49.06/month if done instead" in shown and "$49.06/month saved" not in shown
    assert "Compute savings: $30.00/month" in shown
    assert (
        "Stand-alone instances \\u2192 spot (relaunch; advice only)* \\u2014 2 \\u00b7 $30.00"
        in shown
    )
