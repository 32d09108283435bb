"""Month-to-date spend, month-end forecast and budget use per team (plain data).

Spend comes from the `/cost` cache (one team x service slice serves every team); the
forecast is `/cost`'s (Cost Explorer's, cached), or the month's run rate when Cost
Explorer has none.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.budgets.store import Budget, budgets
from bot.cost.periods import add_months, month_start
from bot.cost.service import daily_costs, month_end_forecast
from bot.services import Services

PCT = Decimal("0.1")


@dataclass
class BudgetStatus:
    """One team this month."""

    team: str
    budget: Budget
    month_to_date: Decimal
    forecast: Decimal | None
    forecast_basis: str  # "Cost Explorer", "run rate" or ""
    today: date
    currency: str = "USD"
    #: Last month's final spend, given when this month has no full day yet (the 1st).
    last_month: Decimal | None = None

    @property
    def last_month_pct(self) -> Decimal | None:
        """Last month's spend in % of the budget."""
        return _pct(self.last_month, self.budget.amount)

    @property
    def last_month_name(self) -> str:
        """`November 2026`."""
        return (month_start(self.today) - timedelta(days=1)).strftime("%B %Y")

    @property
    def use_pct(self) -> Decimal | None:
        """Month-to-date spend in % of the budget."""
        return _pct(self.month_to_date, self.budget.amount)

    @property
    def forecast_pct(self) -> Decimal | None:
        """The month-end forecast in % of the budget."""
        return _pct(self.forecast, self.budget.amount)

    @property
    def month(self) -> str:
        """`2026-11`."""
        return self.today.strftime("%Y-%m")

    @property
    def crossing_date(self) -> date | None:
        """The day the forecast says spend reaches the budget (None: not this month, or
        already over)."""
        return crossing_date(self.month_to_date, self.forecast, self.budget.amount, self.today)


def _pct(amount: Decimal | None, budget: Decimal | None) -> Decimal | None:
    if amount is None or not budget:
        return None
    return (amount * 100 / budget).quantize(PCT)


def crossing_date(
    so_far: Decimal, forecast: Decimal | None, budget: Decimal | None, today: date
) -> date | None:
    """When spend at the forecast's daily pace (today .. month end) reaches `budget`."""
    if forecast is None or budget is None or so_far >= budget or forecast < budget:
        return None
    days_left = (add_months(today, 1) - today).days
    rate = (forecast - so_far) / days_left
    if rate <= 0:
        return None
    return today + timedelta(days=math.ceil((budget - so_far) / rate) - 1)


def month_to_date(services: Services, today: date) -> tuple[dict[str, Decimal], str]:
    """Spend per team from the 1st to yesterday (untagged: key ""), and the currency."""
    start = month_start(today)
    if today <= start:
        return {}, "USD"
    data = daily_costs(services, group=("team", "service"), start=start, end=today)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for _, team, _, amount in data.rows:
        totals[team] += amount
    return dict(totals), data.currency


def last_month(services: Services, today: date) -> dict[str, Decimal]:
    """Last month's spend per team (untagged: key "")."""
    start, end = add_months(today, -1), month_start(today)
    data = daily_costs(services, group=("team", "service"), start=start, end=end)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for _, team, _, amount in data.rows:
        totals[team] += amount
    return dict(totals)


def team_statuses(services: Services, *, budgeted_only: bool = False) -> list[BudgetStatus]:
    """Every configured team's budget status today (only teams with a budget: no
    forecast is asked for the others)."""
    today = services.now().date()
    spend, currency = month_to_date(services, today)
    return statuses_from(services, spend, currency, today=today, budgeted_only=budgeted_only)


def statuses_from(
    services: Services,
    spend: dict[str, Decimal],
    currency: str,
    *,
    today: date,
    budgeted_only: bool = False,
    forecast_unbudgeted: bool = True,
) -> list[BudgetStatus]:
    """Budget statuses from month-to-date spend per team: the one forecast source of
    `/budget`, the budget job and the digest. On the 1st, with last month's result.
    Without `forecast_unbudgeted`, teams with no budget get the run rate (no request)."""
    with services.db.session() as session:
        effective = budgets(session, services.config)
    elapsed = (today - month_start(today)).days
    month_days = (add_months(today, 1) - month_start(today)).days
    previous = last_month(services, today) if elapsed == 0 else None
    statuses = []
    for team in sorted(effective):
        if budgeted_only and effective[team].amount is None:
            continue
        so_far = spend.get(team, Decimal(0))
        amount, basis = None, "Cost Explorer"
        if forecast_unbudgeted or effective[team].amount is not None:
            amount = month_end_forecast(services, team=team, so_far=so_far).month_end
        if amount is None and elapsed > 0:
            amount, basis = (so_far * month_days / elapsed).quantize(Decimal("0.01")), "run rate"
        statuses.append(
            BudgetStatus(
                team=team,
                budget=effective[team],
                month_to_date=so_far,
                forecast=amount,
                forecast_basis=basis if amount is not None else "",
                today=today,
                currency=currency,
                last_month=None if previous is None else previous.get(team, Decimal(0)),
            )
        )
    return statuses
