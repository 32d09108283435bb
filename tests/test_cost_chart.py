"""The cost chart: readable labels inside the window, long windows summed, provisional
cost in its own colour."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.cost.chart import (
    MAX_LABELS,
    PROVISIONAL_COLOUR,
    SETTLED_COLOUR,
    bars,
    daily_chart,
    label,
    tick_positions,
)


def series(start: date, days: int, amount: str = "10") -> list[tuple[date, Decimal]]:
    return [(start + timedelta(days=n), Decimal(amount)) for n in range(days)]


def test_a_november_chart_is_labelled_inside_november_without_crowding() -> None:
    november = series(date(2026, 11, 1), 30)
    shown, unit = bars(november)
    assert unit == "day" and len(shown) == 30
    labels = [label(shown[i], unit) for i in tick_positions(len(shown))]
    assert len(labels) <= MAX_LABELS
    assert labels[-1] == "Nov 30" and all(text.startswith("Nov") for text in labels)
    # Around a month end: one label per bar at most, no "Oct 31" over "Nov 01".
    turn = series(date(2026, 10, 20), 20)
    ticks = tick_positions(len(turn))
    assert len(set(ticks)) == len(ticks) and max(ticks) == len(turn) - 1


def test_long_windows_are_summed_by_week_then_by_month() -> None:
    quarter = series(date(2026, 9, 2), 90)
    weekly, unit = bars(quarter)
    assert unit == "week" and len(weekly) <= 14
    assert sum(b.amount for b in weekly) == Decimal(900)  # nothing lost in the sums
    year, unit = bars(series(date(2026, 1, 1), 334))
    assert unit == "month" and len(year) == 11
    assert [label(year[0], unit), label(year[-1], unit)] == ["Jan 2026", "Nov 2026"]
    assert year[1].amount == Decimal(280)  # February, 28 days x $10


def test_provisional_bars_have_their_own_colour_and_the_png_is_drawn() -> None:
    assert PROVISIONAL_COLOUR.lower() != SETTLED_COLOUR.lower()
    daily = series(date(2026, 11, 1), 30)
    shown, _ = bars(daily, provisional_from=date(2026, 11, 29))
    assert [b.provisional for b in shown][-3:] == [False, True, True]
    png = daily_chart(daily, title="t", currency="USD", provisional_from=date(2026, 11, 29))
    assert png.startswith(b"\x89PNG")
