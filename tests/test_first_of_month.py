"""On the 1st of a month (no settled day yet): last month's final figures lead, with
this month's forecast; budget amounts are parsed strictly; `/budget help` is not a warning."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.args import ArgumentError
from bot.budgets.status import team_statuses
from bot.budgets.store import parse_amount
from bot.render.budgets import budget_table
from standins.cost_explorer import CostExplorerStandin, LineItem
from tests.conftest import SlackStack
from tests.orphans_fixtures import clear_aws_env

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


def november() -> list[LineItem]:
    """payments: $40/day of EC2 in October and November ($1,200 in November)."""
    start = date(2026, 10, 1)
    return [
        LineItem(
            usage_date=start + timedelta(days=n),
            account_id="111111111111",
            region="us-east-1",
            service="Amazon Elastic Compute Cloud - Compute",
            usage_type="BoxUsage:m5.large",
            amount=Decimal(40),
            tags={"Team": "payments"},
        )
        for n in range((TODAY - start).days)
    ]


@pytest.fixture
def first(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    clear_aws_env(monkeypatch)
    standin = CostExplorerStandin(november(), today=lambda: TODAY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    slack_stack.services.now = lambda: NOW
    yield slack_stack
    standin.stop()


def test_budget_on_the_first_leads_with_last_months_result(first: SlackStack) -> None:
    statuses = {s.team: s for s in team_statuses(first.services)}
    payments = statuses["payments"]
    assert payments.last_month == Decimal(1200)
    assert payments.last_month_name == "November 2026"
    body = json.dumps(budget_table(list(statuses.values())))
    assert "November 2026: $1,200.00 (*120.0 %*)" in body
    assert "this month's forecast" in body
    assert "runs to yesterday" not in body
    assert "December has no full day yet" in body


@pytest.mark.parametrize("text", ["$1,2,3", "1,2,3", "12,00", "1,,000", "12.000,50", "$"])
def test_malformed_budget_amounts_are_rejected(text: str) -> None:
    with pytest.raises(ArgumentError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12000", "12000.00"),
        ("12,000", "12000.00"),
        ("$12,000.50", "12000.50"),
        ("1_000", "1000.00"),
    ],
)
def test_well_formed_budget_amounts_are_accepted(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


def test_budget_help_is_information_not_a_warning(first: SlackStack) -> None:
    console = first.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/budget help")
    [answer] = console.wait_for(lambda: console.ephemerals("U0DEV"))
    body = json.dumps(answer)
    assert "set team=NAME amount=N" in body and ":warning:" not in body


def test_digest_month_end_is_budgets_forecast_and_says_last_month_on_the_first(
    first: SlackStack,
) -> None:
    from bot.digest.report import _budgets

    services = first.services
    budget = {s.team: s for s in team_statuses(services)}["payments"]
    [digest] = [s for s in _budgets(services, {}, TODAY, "USD") if s.team == "payments"]
    assert digest.forecast == budget.forecast and digest.forecast_basis == budget.forecast_basis
    assert digest.last_month == Decimal(1200)


def test_cost_on_the_first_leads_with_last_months_final_figures(first: SlackStack) -> None:
    from bot.cost.query import CostQuery
    from bot.cost.service import answer_cost
    from bot.render.cost import cost_message

    report = answer_cost(first.services, CostQuery(team="payments"))
    assert (report.period.start, report.period.end) == (date(2026, 11, 1), TODAY)
    assert report.total == Decimal(1200)
    assert report.previous_total == Decimal(1240)  # October: 31 days x $40
    body = json.dumps(cost_message(report, command="/cost"))
    assert "December has no full day yet: these are November's final figures" in body
    assert "Budget $1,000.00: November used 120.0 %" in body
    assert "No spend in this period" not in body and "$0.00" not in body
    if report.forecast is not None and report.forecast.month_end is not None:
        assert "Forecast for the end of December" in body


def test_untagged_spend_on_the_first_is_last_months_and_says_so(
    slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.tags.compliance import spend_month, untagged_spend

    clear_aws_env(monkeypatch)
    items = [
        dataclasses.replace(item, tags={}) for item in november()
    ]  # everything untagged: $40/day
    standin = CostExplorerStandin(items, today=lambda: TODAY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    slack_stack.services.now = lambda: NOW
    try:
        amount, _, _ = untagged_spend(slack_stack.services)
    finally:
        standin.stop()
    assert amount == Decimal(1200)
    start, end, words = spend_month(TODAY)
    assert (start, end) == (date(2026, 11, 1), TODAY)
    assert words == "November 2026 (final; December has no full day yet)"
    assert spend_month(date(2026, 12, 2))[2] == "this month"


def test_a_window_the_data_does_not_cover_says_so_and_drops_the_comparison(
    first: SlackStack,
) -> None:
    from bot.cost.query import CostQuery
    from bot.cost.service import answer_cost
    from bot.render.cost import cost_message

    # History starts on Oct 1: the 90 days before Dec 1 start on Sep 2, the 90 before that
    # have no data at all.
    report = answer_cost(first.services, CostQuery(team="payments", period="90d"))
    assert report.previous is None and report.previous_total is None
    body = json.dumps(cost_message(report, command="/cost"))
    assert "Cost data starts on 2026-10-01" in body
    assert "No comparison with the period before" in body and "vs the period before" not in body
    # Year to date: the empty months are said, not just drawn.
    ytd = json.dumps(
        cost_message(answer_cost(first.services, CostQuery(period="ytd")), command="/cost")
    )
    assert "Cost data starts on 2026-10-01: Jan 1 - Nov 30, 2026 is covered from then on" in ytd
    # Fully covered windows keep their comparison.
    covered = answer_cost(first.services, CostQuery(team="payments", period="30d"))
    assert covered.previous_total == Decimal(40 * 31)  # Nov 1-30 is November: vs October
