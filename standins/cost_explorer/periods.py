"""Time periods: parsing, Cost Explorer's date rules, and DAILY/MONTHLY buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .errors import validation

#: Cost Explorer keeps the current month and the 13 before it.
LOOKBACK_MONTHS = 13


@dataclass(frozen=True)
class Period:
    """A half-open range of days [start, end)."""

    start: date
    end: date

    def as_json(self) -> dict[str, str]:
        """The `DateInterval` shape."""
        return {"Start": self.start.isoformat(), "End": self.end.isoformat()}

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_day(value: Any, field: str) -> date:
    """Parse a `YearMonthDay` (YYYY-MM-DD, optionally followed by THH:MM:SSZ)."""
    if not isinstance(value, str) or len(value) < 10:
        raise validation(f"{field} must be a date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise validation(f"{field} must be a date in the format YYYY-MM-DD") from None


def parse_period(value: Any, field: str = "TimePeriod") -> Period:
    """Parse a `DateInterval`; Start must come before End."""
    if not isinstance(value, dict) or "Start" not in value or "End" not in value:
        raise validation(f"{field} must have a Start and an End")
    start = parse_day(value["Start"], f"{field}.Start")
    end = parse_day(value["End"], f"{field}.End")
    if start >= end:
        raise validation("Start date (and hour) should be before end date (and hour)")
    return Period(start, end)


def check_history_period(period: Period, today: date) -> None:
    """The rules for historical queries: not too old, not in the future."""
    earliest = add_months(today, -LOOKBACK_MONTHS)
    if period.start < earliest:
        raise validation(
            f"start date is too old: historical data is available from {earliest.isoformat()}"
        )
    if period.start > today:
        raise validation("start date is after the current date")
    if period.end > add_months(today, 1):
        raise validation("end date past the beginning of next month")


def buckets(period: Period, granularity: str, last_day: date | None = None) -> list[Period]:
    """The result periods for a granularity.

    DAILY buckets stop after `last_day` when given (no data exists beyond today); MONTHLY
    buckets are calendar months clipped to the requested period.
    """
    if granularity == "DAILY":
        end = period.end if last_day is None else min(period.end, last_day + timedelta(days=1))
        return [Period(day, day + timedelta(days=1)) for day in Period(period.start, end).days()]
    result = []
    start = period.start
    while start < period.end:
        end = min(add_months(start, 1), period.end)
        result.append(Period(start, end))
        start = end
    return result


def check_granularity(value: Any, allowed: tuple[str, ...] = ("DAILY", "MONTHLY")) -> str:
    """Validate `Granularity`."""
    if value == "HOURLY":
        raise validation("Hourly granularity is not enabled for this account")
    if value not in allowed:
        raise validation(f"Granularity must be one of {', '.join(allowed)}")
    return str(value)
