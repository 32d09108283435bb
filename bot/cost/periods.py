"""`period=` values: parsing them into day ranges, and the period each one is compared with.

Every range is half-open, [start, end), like Cost Explorer's `TimePeriod` (End exclusive).
"Today" has no cost data yet, so no range reaches past it. Cost Explorer keeps about 13
months (`limited`, the default); a billing export keeps what it was given, so its periods
are not limited here and the answer says what the export covers instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.args import ArgumentError, suggest

#: Cost Explorer keeps the current month and the 13 before it.
LOOKBACK_MONTHS = 13
PERIOD_WORDS = ("mtd", "last-month", "7d", "30d", "90d", "ytd")
PERIOD_FORMS = (*PERIOD_WORDS, "YYYY-MM", "YYYY-MM-DD..YYYY-MM-DD")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_DAYS = re.compile(r"^(\d{1,3})d$")


@dataclass(frozen=True)
class Period:
    """Days [start, end) with the words a person would use for them."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        """How many days the period has (0 on the first of a month for `mtd`)."""
        return (self.end - self.start).days

    def day_list(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def describe(self) -> str:
        """`Mar 1 - Mar 14, 2025` (inclusive, as people read dates)."""
        if self.days <= 0:
            return f"{_short(self.start)}, {self.start.year} (no full day yet)"
        last = self.end - timedelta(days=1)
        if self.start == last:
            return f"{_short(last)}, {last.year}"
        year = f", {self.start.year}" if self.start.year != last.year else ""
        return f"{_short(self.start)}{year} - {_short(last)}, {last.year}"


def _short(day: date) -> str:
    return f"{day:%b} {day.day}"


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def earliest_day(today: date) -> date:
    """The oldest day Cost Explorer still has."""
    return add_months(today, -LOOKBACK_MONTHS)


def parse_period(text: str, today: date, *, limited: bool = True) -> Period:
    """Turn a `period=` value into days; ArgumentError says what is wrong and what works.

    `limited`: refuse days older than Cost Explorer keeps (False for export sources).
    """
    value = text.strip().lower()
    if value == "mtd":
        return Period(month_start(today), today, "month to date")
    if value == "last-month":
        start = add_months(today, -1)
        return Period(start, month_start(today), f"{start:%B %Y}")
    if value == "ytd":
        return Period(date(today.year, 1, 1), today, f"{today.year} to date")
    match = _DAYS.match(value)
    if match and value in PERIOD_WORDS:
        days = int(match.group(1))
        return Period(today - timedelta(days=days), today, f"last {days} days")
    match = _MONTH.match(value)
    if match:
        return _month(int(match.group(1)), int(match.group(2)), today, text, limited)
    match = _RANGE.match(value)
    if match:
        return _range(match.group(1), match.group(2), today, text, limited)
    raise ArgumentError(
        f'Unknown period "{text}"{suggest(value, PERIOD_WORDS) or "."} Periods: {_choices()}.'
    )


def _choices() -> str:
    return ", ".join(f"`{form}`" for form in PERIOD_FORMS)


def _month(year: int, month: int, today: date, text: str, limited: bool) -> Period:
    if not 1 <= month <= 12:
        raise ArgumentError(f'"{text}" is not a month: use `YYYY-MM`, like `{today:%Y-%m}`.')
    if year < 1:
        raise ArgumentError(f'"{text}" has no year 0; use `YYYY-MM`, like `{today:%Y-%m}`.')
    start = date(year, month, 1)
    if start > today:
        raise ArgumentError(f'"{text}" is in the future; there is no cost for it yet.')
    if limited:
        _check_history(start, today, text)
    end = min(add_months(start, 1), today)
    return Period(start, end, f"{start:%B %Y}" + (" to date" if end == today else ""))


def _range(first_text: str, last_text: str, today: date, text: str, limited: bool) -> Period:
    try:
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError:
        raise ArgumentError(
            f'"{text}" has a date that does not exist; use `YYYY-MM-DD..YYYY-MM-DD`.'
        ) from None
    if last < first:
        raise ArgumentError(f'"{text}" ends before it starts.')
    if first >= today:
        raise ArgumentError(
            f'"{text}" starts in the future or today; cost data runs up to yesterday '
            f"({today - timedelta(days=1)})."
        )
    if limited:
        _check_history(first, today, text)
    end = min(last, today - timedelta(days=1)) + timedelta(days=1)
    return Period(first, end, f"{first}..{end - timedelta(days=1)}")


def _check_history(start: date, today: date, text: str) -> None:
    earliest = earliest_day(today)
    if start < earliest:
        raise ArgumentError(
            f'"{text}" is too old: Cost Explorer keeps data from {earliest} on '
            f"(this month and the {LOOKBACK_MONTHS} before it)."
        )


def previous_period(period: Period, today: date, *, limited: bool = True) -> Period | None:
    """The period to compare with, of the same length, just before; None if out of reach.

    A calendar month compares with the month before; month to date compares with the same
    days of the previous month. Anything else compares with the same number of days before.
    """
    if period.days <= 0 or period.start - date.min <= timedelta(days=period.days + 31):
        return None
    start_of_month = month_start(period.start)
    if period.start == start_of_month and period.end == add_months(period.start, 1):
        previous = Period(add_months(period.start, -1), period.start, "the month before")
    elif period.start == start_of_month and period.end <= add_months(period.start, 1):
        before = add_months(period.start, -1)
        end = min(before + timedelta(days=period.days), period.start)
        previous = Period(before, end, "the same days of the month before")
    else:
        previous = Period(
            period.start - timedelta(days=period.days), period.start, "the period before"
        )
    return previous if not limited or previous.start >= earliest_day(today) else None
