"""The answer to a `/cost` question as plain data, computed exactly from cached daily rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .periods import Period
from .query import CostQuery

Row = tuple[date, str, str, Decimal]
_PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Line:
    """One line of the breakdown; `share` is a percentage of the total (None if total is 0)."""

    label: str
    amount: Decimal
    share: Decimal | None
    kind: str = "value"  # value, untagged (spend without the tag) or other (the folded tail)


@dataclass(frozen=True)
class Forecast:
    """Month-end forecast: spend so far plus Cost Explorer's forecast for the rest."""

    month_end: Decimal | None
    budget: Decimal | None = None
    budget_use: Decimal | None = None  # forecast month end as % of the budget
    note: str = ""


@dataclass
class CostReport:
    """Everything the answer shows."""

    query: CostQuery
    period: Period
    dimension: str
    currency: str
    total: Decimal
    lines: list[Line]
    daily: list[tuple[date, Decimal]]
    previous: Period | None = None
    previous_total: Decimal | None = None
    provisional_from: date | None = None
    forecast: Forecast | None = None
    service_name: str | None = None
    data_as_of: datetime | None = None  # set when Cost Explorer failed and the cache answered
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The month a forecast is for when it is not the period's (on the 1st: the new month).
    forecast_month: date | None = None
    metric: str = "billed cost (UnblendedCost)"
    source: str = "Cost Explorer"
    providers: list[Line] = field(default_factory=list)  # when the data has several
    stale: bool = False  # answered from the cache only, some days still to be fetched
    pending: bool = False  # a fetch is running; this answer will be replaced

    @property
    def change(self) -> Decimal | None:
        """Total minus the previous period's total."""
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def change_pct(self) -> Decimal | None:
        """The change as % of the previous total (None when that was 0)."""
        if self.previous_total in (None, Decimal(0)) or self.change is None:
            return None
        assert self.previous_total is not None
        return (self.change * 100 / self.previous_total).quantize(_PERCENT)


def share(amount: Decimal, total: Decimal) -> Decimal | None:
    """`amount` as a percentage of `total`, to 0.1."""
    return None if total == 0 else (amount * 100 / total).quantize(_PERCENT)


def in_period(rows: Iterable[Row], period: Period) -> list[Row]:
    """The rows whose day lies in the period."""
    return [row for row in rows if period.start <= row[0] < period.end]


def exact_total(rows: Iterable[Row]) -> Decimal:
    """The exact sum of the rows' amounts."""
    return sum((row[3] for row in rows), Decimal(0))


def daily_series(rows: Iterable[Row], period: Period) -> list[tuple[date, Decimal]]:
    """Cost per day over the whole period (0 for days without rows)."""
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for day, _k1, _k2, amount in rows:
        per_day[day] += amount
    return [(day, per_day.get(day, Decimal(0))) for day in period.day_list()]


def breakdown(
    rows: Iterable[Row],
    *,
    index: int,
    label: Callable[[str], tuple[str, str]],
    total: Decimal,
    top: int,
) -> list[Line]:
    """Lines grouped by group value `index` (0 or 1), largest first, the tail folded.

    `label(value)` gives (text, kind); an `untagged` line is always shown on its own.
    """
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[str(row[1 + index])] += row[3]
    ordered = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
    lines = []
    for value, amount in ordered:
        text, kind = label(value)
        lines.append(Line(text, amount, share(amount, total), kind))
    if len(lines) <= top + 1:
        return lines
    kept, tail = lines[:top], lines[top:]
    untagged = [ln for ln in tail if ln.kind == "untagged"]
    rest = [ln for ln in tail if ln.kind != "untagged"]
    other = sum((ln.amount for ln in rest), Decimal(0))
    folded = [Line(f"Other ({len(rest)} more)", other, share(other, total), "other")]
    if not rest:
        folded = []
    return kept + untagged + folded
