"""`/cost` answers against the Cost Explorer stand-in: exact totals, boundaries, groupings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.args import ArgumentError
from bot.cost.query import CostQuery
from bot.cost.service import answer_cost
from bot.render.cost import cost_message, money
from standins.cost_explorer import LineItem
from tests import cost_fixtures
from tests.cost_fixtures import (
    DEV,
    EC2,
    PROD,
    RDS,
    S3,
    TODAY,
    CostStack,
    StackFactory,
    exact,
    small_items,
)

cost_stack = cost_fixtures.cost_stack
stack_factory = cost_fixtures.stack_factory

MARCH_1, FEB_1 = date(2025, 3, 1), date(2025, 2, 1)


def lines(report: object) -> dict[str, Decimal]:
    return {line.label: line.amount for line in report.lines}  # type: ignore[attr-defined]


def test_team_month_to_date_is_the_exact_sum_with_comparison(cost_stack: CostStack) -> None:
    items = cost_stack.items
    report = answer_cost(cost_stack.services, CostQuery(team="payments"))
    expected = exact(items, MARCH_1, TODAY, team="payments")
    assert report.total == expected
    assert report.previous_total == exact(items, FEB_1, date(2025, 2, 15), team="payments")
    assert report.change == expected - report.previous_total
    assert report.currency == "USD"
    by_service = lines(report)
    assert by_service[EC2] == exact(items, MARCH_1, TODAY, team="payments", service=EC2)
    assert sum(by_service.values()) == expected
    assert report.lines[0].label == max(by_service, key=by_service.__getitem__)
    assert report.change_pct == (report.change * 100 / report.previous_total).quantize(
        Decimal("0.1")
    )
    text = str(cost_message(report, command="/cost"))
    assert money(expected) in text and "$" in money(expected)


def test_spend_without_the_team_tag_is_its_own_line_never_dropped(cost_stack: CostStack) -> None:
    items = cost_stack.items
    report = answer_cost(cost_stack.services, CostQuery(by="team", period="last-month"))
    by_team = lines(report)
    end = MARCH_1
    assert by_team["no Team tag"] == exact(items, FEB_1, end, team="")
    assert by_team["legacy"] == exact(items, FEB_1, end, team="legacy")  # not in the config
    assert report.total == exact(items, FEB_1, end) == sum(by_team.values())
    untagged = next(line for line in report.lines if line.label == "no Team tag")
    assert untagged.kind == "untagged"
    assert untagged.share == (untagged.amount * 100 / report.total).quantize(Decimal("0.1"))


def test_period_end_is_exclusive_and_boundaries_exact(stack_factory: StackFactory) -> None:
    def item(day: date, amount: str) -> LineItem:
        return LineItem(
            usage_date=day,
            account_id=PROD,
            region="us-east-1",
            service=S3,
            usage_type="Requests",
            amount=Decimal(amount),
            tags={"Team": "search"},
        )

    items = [
        item(date(2025, 1, 31), "1000.001"),  # last day of January
        item(date(2025, 2, 1), "0.004"),  # first day of February
        item(date(2025, 2, 28), "0.0049"),  # last day of February
        item(date(2025, 3, 1), "7.10"),  # first day of March: not in February
    ] + [item(date(2025, 1, 1) + timedelta(days=n), "0.001") for n in range(1, 30)]
    stack = stack_factory(items=items)
    report = answer_cost(stack.services, CostQuery(team="search", period="last-month"))
    assert report.total == Decimal("0.0089")
    assert money(report.total) == "$0.01"
    assert report.previous_total == Decimal("1000.001") + Decimal("0.029")
    march = answer_cost(stack.services, CostQuery(team="search", period="2025-03-01..2025-03-01"))
    assert march.total == Decimal("7.10")
    ranged = answer_cost(stack.services, CostQuery(team="search", period="2025-01-31..2025-02-01"))
    assert ranged.total == Decimal("1000.005")


def test_pagination_is_followed_to_the_last_page(stack_factory: StackFactory) -> None:
    stack = stack_factory(page_size=7)
    report = answer_cost(stack.services, CostQuery(period="30d", by="team"))
    assert report.total == exact(stack.items, TODAY - timedelta(days=30), TODAY)
    requests = stack.ce.requests
    assert len(requests) > 10
    assert sum(1 for _, params in requests if params.get("NextPageToken")) == len(requests) - 1


@pytest.mark.parametrize(
    ("query", "line", "line_match", "total_match"),
    [
        (CostQuery(period="30d", by="account"), f"dev ({DEV})", {"account": DEV}, {}),
        (CostQuery(period="30d", by="region"), "eu-west-1", {"region": "eu-west-1"}, {}),
        (
            CostQuery(period="30d", by="usage-type", service="rds"),
            "USE1-InstanceUsage:db.r6g.large",
            {"service": RDS},
            {"service": RDS},
        ),
        (
            CostQuery(period="30d", account=PROD, team="search"),
            S3,
            {"account": PROD, "team": "search", "service": S3},
            {"account": PROD, "team": "search"},
        ),
        (
            CostQuery(period="30d", region="eu-west-1"),
            EC2,
            {"region": "eu-west-1", "service": EC2},
            {"region": "eu-west-1"},
        ),
        (
            CostQuery(period="30d", by="team", service="s3"),
            "no Team tag",
            {"service": S3, "team": ""},
            {"service": S3},
        ),
        (
            CostQuery(period="30d", by="region", service="ec2", team="payments"),
            "us-east-1",
            {"service": EC2, "team": "payments", "region": "us-east-1"},
            {"service": EC2, "team": "payments"},
        ),
    ],
)
def test_groupings_and_filters_are_exact(
    cost_stack: CostStack,
    query: CostQuery,
    line: str,
    line_match: dict[str, str],
    total_match: dict[str, str],
) -> None:
    report = answer_cost(cost_stack.services, query)
    start = TODAY - timedelta(days=30)
    assert lines(report)[line] == exact(cost_stack.items, start, TODAY, **line_match)
    assert report.total == exact(cost_stack.items, start, TODAY, **total_match)
    assert report.total == sum(lines(report).values())


def test_by_tag_key_groups_on_any_tag_with_its_untagged_line(cost_stack: CostStack) -> None:
    report = answer_cost(cost_stack.services, CostQuery(period="7d", by="tag:Env"))
    start = TODAY - timedelta(days=7)
    prod = sum(
        (i.amount for i in cost_stack.items if start <= i.usage_date < TODAY and i.tag("Env")),
        Decimal(0),
    )
    assert lines(report)["prod"] == prod
    assert lines(report)["no Env tag"] == exact(cost_stack.items, start, TODAY) - prod


def test_long_tail_is_folded_into_other_but_untagged_stays_visible(
    stack_factory: StackFactory,
) -> None:
    items = [
        LineItem(
            usage_date=TODAY - timedelta(days=2),
            account_id=PROD,
            region="us-east-1",
            service=f"Service {n:02d}",
            usage_type="x",
            amount=Decimal(100 - n),
            tags={"Team": f"t{n}"} if n else {},
        )
        for n in range(12)
    ]
    stack = stack_factory(items=items)
    report = answer_cost(stack.services, CostQuery(period="7d", by="team"))  # top_lines: 3
    labels = [line.label for line in report.lines]
    assert labels[:3] == ["no Team tag", "t1", "t2"]
    assert labels[-1] == "Other (9 more)"
    assert report.lines[-1].amount == sum(Decimal(100 - n) for n in range(3, 12))
    by_service = answer_cost(stack.services, CostQuery(period="7d"))
    assert by_service.total == report.total == sum(i.amount for i in items)


def test_unknown_service_is_explained_after_looking_at_the_data(cost_stack: CostStack) -> None:
    with pytest.raises(ArgumentError, match='Unknown service "dynamo"'):
        answer_cost(cost_stack.services, CostQuery(service="dynamo"))
    report = answer_cost(cost_stack.services, CostQuery(service="Storage", period="7d"))
    assert report.service_name == S3


def test_first_day_of_the_month_leads_with_last_month_and_forecasts_the_new_one(
    stack_factory: StackFactory,
) -> None:
    today = date(2025, 4, 1)
    first_of_month = stack_factory(items=small_items(today), today=today)
    report = answer_cost(first_of_month.services, CostQuery(team="payments"))
    # Not "$0.00, no spend": March's final figures, compared with February.
    assert (report.period.start, report.period.end) == (date(2025, 3, 1), today)
    assert report.total > 0 and report.lines and report.previous is not None
    assert any("April has no full day yet" in note for note in report.notes)
    assert report.forecast is not None and report.forecast.month_end is not None
    assert report.forecast.month_end > 0
    assert "GetCostForecast" in first_of_month.ce.operations()
    text = str(cost_message(report, command="/cost"))
    assert "no full day yet" in text and "Forecast for the end of April" in text
    assert "No spend in this period" not in text


def test_forecast_and_budget_for_the_current_month(cost_stack: CostStack) -> None:
    report = answer_cost(cost_stack.services, CostQuery(team="payments"))
    forecast = report.forecast
    assert forecast is not None and forecast.month_end is not None
    requests = [p for op, p in cost_stack.ce.requests if op == "GetCostForecast"]
    assert requests[0]["TimePeriod"] == {"Start": "2025-03-15", "End": "2025-04-01"}
    assert requests[0]["Filter"] == {"Tags": {"Key": "Team", "Values": ["payments"]}}
    rest = forecast.month_end - report.total
    assert rest > 0
    assert forecast.budget == Decimal(1000)
    assert forecast.budget_use == (forecast.month_end * 100 / 1000).quantize(Decimal("0.1"))
    text = str(cost_message(report, command="/cost"))
    assert "Budget $1,000.00: forecast uses" in text
    other = answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    assert other.forecast is None


def test_estimated_days_are_flagged_provisional(cost_stack: CostStack) -> None:
    report = answer_cost(cost_stack.services, CostQuery(period="7d"))
    assert report.provisional_from == TODAY - timedelta(days=2)  # the stand-in's last 2 days
    text = str(cost_message(report, command="/cost"))
    assert "Costs from 2025-03-13 on are still estimated" in text
    older = answer_cost(cost_stack.services, CostQuery(period="last-month"))
    assert older.provisional_from is None
