"""`period=` values: day ranges (End exclusive), comparisons, and the messages for bad ones."""

from __future__ import annotations

from datetime import date

import pytest

from bot.args import ArgumentError
from bot.cost.periods import Period, parse_period, previous_period

TODAY = date(2025, 3, 15)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("mtd", date(2025, 3, 1), date(2025, 3, 15)),
        ("last-month", date(2025, 2, 1), date(2025, 3, 1)),
        ("7d", date(2025, 3, 8), date(2025, 3, 15)),
        ("30d", date(2025, 2, 13), date(2025, 3, 15)),
        ("90d", date(2024, 12, 15), date(2025, 3, 15)),
        ("ytd", date(2025, 1, 1), date(2025, 3, 15)),
        ("2025-01", date(2025, 1, 1), date(2025, 2, 1)),
        ("2025-03", date(2025, 3, 1), date(2025, 3, 15)),  # current month: up to today
        ("2024-02", date(2024, 2, 1), date(2024, 3, 1)),  # leap year
        ("2025-02-10..2025-02-20", date(2025, 2, 10), date(2025, 2, 21)),  # inclusive last day
        ("2025-03-10..2025-03-31", date(2025, 3, 10), date(2025, 3, 15)),  # clipped to today
        ("MTD", date(2025, 3, 1), date(2025, 3, 15)),
    ],
)
def test_periods_are_half_open_day_ranges(text: str, start: date, end: date) -> None:
    period = parse_period(text, TODAY)
    assert (period.start, period.end) == (start, end)


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    period = parse_period("last-month", date(2025, 1, 10))
    assert (period.start, period.end) == (date(2024, 12, 1), date(2025, 1, 1))
    assert period.label == "December 2024"


def test_month_to_date_on_the_first_is_empty_not_an_error() -> None:
    period = parse_period("mtd", date(2025, 4, 1))
    assert period.days == 0 and period.day_list() == []
    assert previous_period(period, date(2025, 4, 1)) is None
    assert "no full day yet" in period.describe()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mdt", 'Unknown period "mdt" — did you mean mtd?'),
        ("last-moth", 'Unknown period "last-moth" — did you mean last-month?'),
        ("14d", 'Unknown period "14d". Periods: `mtd`'),
        ("2025-04", '"2025-04" is in the future'),
        ("2025-13", '"2025-13" is not a month'),
        ("2023-12", '"2023-12" is too old: Cost Explorer keeps data from 2024-02-01 on'),
        ("2025-02-30..2025-03-02", "has a date that does not exist"),
        ("2025-03-02..2025-03-01", "ends before it starts"),
        ("2025-03-15..2025-03-20", "starts in the future or today"),
        ("yesterday", "Periods: `mtd`, `last-month`, `7d`, `30d`, `90d`, `ytd`, `YYYY-MM`"),
    ],
)
def test_bad_periods_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        parse_period(text, TODAY)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last-month", date(2025, 1, 1), date(2025, 2, 1)),  # the month before
        ("mtd", date(2025, 2, 1), date(2025, 2, 15)),  # the same 14 days of February
        ("30d", date(2025, 1, 14), date(2025, 2, 13)),  # the 30 days before
        ("2025-03-10..2025-03-12", date(2025, 3, 7), date(2025, 3, 10)),
    ],
)
def test_previous_period_has_the_same_length_just_before(text: str, start: date, end: date) -> None:
    previous = previous_period(parse_period(text, TODAY), TODAY)
    assert previous is not None
    assert (previous.start, previous.end) == (start, end)


def test_month_to_date_on_the_31st_compares_with_the_whole_shorter_month() -> None:
    today = date(2025, 3, 31)
    previous = previous_period(parse_period("mtd", today), today)
    assert previous is not None and (previous.start, previous.end) == (
        date(2025, 2, 1),
        date(2025, 3, 1),
    )


def test_no_comparison_beyond_what_cost_explorer_keeps() -> None:
    assert previous_period(parse_period("2024-02", TODAY), TODAY) is None


def test_describe_shows_inclusive_dates() -> None:
    assert Period(date(2025, 3, 1), date(2025, 3, 15), "x").describe() == "Mar 1 - Mar 14, 2025"
    assert Period(date(2024, 12, 30), date(2025, 1, 2), "x").describe() == (
        "Dec 30, 2024 - Jan 1, 2025"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0000-01", '"0000-01" has no year 0'),
        ("0000-01-01..0000-01-02", "has a date that does not exist"),
        ("0001-01-01..0001-01-02", "is too old: Cost Explorer keeps data"),
    ],
)
def test_impossible_dates_get_a_clear_answer_not_a_crash(text: str, message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        parse_period(text, TODAY)
    assert message in str(info.value)


def test_a_range_running_to_year_9999_is_clipped_to_yesterday() -> None:
    period = parse_period("2025-03-10..9999-12-31", TODAY)
    assert (period.start, period.end) == (date(2025, 3, 10), date(2025, 3, 15))
    assert period.label == "2025-03-10..2025-03-14"
