"""The budget ladder's stop proposal reads the inventory: its instances are the stored
ones (no AWS call while the inventory is fresh) and each one's figure is the one
`/rightsize` and `/savings` show for it (moto with CloudWatch history, real SQLite)."""

from __future__ import annotations

import collections
from decimal import Decimal

import boto3

from bot.advice.catalogue import default_catalogue
from bot.budgets import proposals
from bot.budgets.status import BudgetStatus
from bot.budgets.store import Budget
from bot.findings.scope import ScanFilter
from bot.inventory.listing import read_listing, refresh_and_wait
from bot.inventory.reports import rightsize_report, savings_kinds, savings_report
from bot.services import Services
from tests.orphans_fixtures import Clock, aws, clock  # noqa: F401
from tests.rightsize_fixtures import launch, put_cpu, rs, steady  # noqa: F401
from tests.test_tags_inventory import calls, scanned  # noqa: F401


def _status(services: Services) -> BudgetStatus:
    return BudgetStatus(
        team="payments",
        budget=Budget("payments", Decimal("100"), "config"),
        month_to_date=Decimal("120"),
        forecast=None,
        forecast_basis="",
        today=services.now().date(),
    )


def test_the_stop_proposal_reads_the_inventory_and_shows_the_savings_figure(
    rs: Services,
    aws: boto3.Session,
    clock: Clock,
    calls: collections.Counter[str],
) -> None:
    idle = launch("m5.large")
    busy = launch("m5.xlarge")
    critical = launch("m5.large", Criticality="high")
    other = launch("m5.large", team="search")
    put_cpu(idle, steady(1.0), clock.moment)
    for instance in (busy, critical, other):
        put_cpu(instance, steady(60.0), clock.moment)
    refresh_and_wait(rs, kinds=["tags", "rightsizing"], scope=ScanFilter())
    calls.clear()

    [proposal], problems = proposals.stop_candidates(rs, _status(rs))

    assert problems == []
    assert scanned(calls) == 0 and not calls["cloudwatch:GetMetricData"], calls
    assert proposal.details["instance_ids"] == sorted([idle, busy])
    # The idle instance's figure is the one /savings (and /rightsize) list for it.
    scope = ScanFilter()
    savings = savings_report(read_listing(rs, kinds=savings_kinds(), scope=scope), scope)
    listed = {i.finding.resource_id: i.finding.monthly_cost for i in savings.items}
    rightsize = rightsize_report(read_listing(rs, kinds=["rightsizing"], scope=scope), scope)
    assert [f.resource_id for f in rightsize.findings] == [idle]
    assert Decimal(proposal.details["monthly"][idle]) == listed[idle]
    assert listed[idle] == rightsize.findings[0].monthly_cost > 0
    # The busy one has no /rightsize finding: stopping it saves its whole on-demand price.
    price = default_catalogue().monthly("us-east-1", "m5.xlarge")
    assert price is not None
    assert Decimal(proposal.details["monthly"][busy]) == price.amount
    assert proposal.monthly_cost == listed[idle] + price.amount


def test_a_stale_inventory_is_refreshed_first_so_a_new_instance_is_proposed(
    rs: Services, aws: boto3.Session, clock: Clock, calls: collections.Counter[str]
) -> None:
    from datetime import timedelta

    first = launch("t3.micro")
    [proposal], _ = proposals.stop_candidates(rs, _status(rs))  # nothing stored: scans
    assert proposal.details["instance_ids"] == [first]
    second = launch("t3.micro")
    calls.clear()
    [proposal], _ = proposals.stop_candidates(rs, _status(rs))  # fresh: stored list
    assert proposal.details["instance_ids"] == [first] and scanned(calls) == 0
    clock.moment += timedelta(minutes=rs.config.inventory.max_age_minutes + 1)
    [proposal], _ = proposals.stop_candidates(rs, _status(rs))
    assert proposal.details["instance_ids"] == sorted([first, second])
    assert scanned(calls) > 0
