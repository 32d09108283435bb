"""The cost chart: a small PNG made with matplotlib (Agg, no display needed).

Up to two months are drawn day by day; longer windows are summed by week (Mondays) and,
beyond about half a year, by month, so bars stay readable. At most `MAX_LABELS` x labels
are drawn, each under its own bar, so they never overlap and never name a day outside
the window. Provisional (estimated) cost has its own, clearly different colour.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

#: Charts are only drawn for periods at least this long.
MIN_CHART_DAYS = 7
#: Longer than this many days: one bar a week; longer than `MONTHLY_AFTER_DAYS`: a month.
WEEKLY_AFTER_DAYS = 62
MONTHLY_AFTER_DAYS = 190
MAX_LABELS = 8
SETTLED_COLOUR = "#3182bd"
PROVISIONAL_COLOUR = "#fd8d3c"  # orange: not a lighter blue that reads like a thin bar
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@dataclass(frozen=True)
class Bar:
    """One bar: its days [start, end), their cost, and whether any of them is provisional."""

    start: date
    end: date
    amount: Decimal
    provisional: bool


def bars(
    daily: list[tuple[date, Decimal]], provisional_from: date | None = None
) -> tuple[list[Bar], str]:
    """The bars of a daily series and their unit (`day`, `week` or `month`)."""
    if not daily:
        return [], "day"
    span = (daily[-1][0] - daily[0][0]).days + 1
    unit = "day"
    if span > MONTHLY_AFTER_DAYS:
        unit = "month"
    elif span > WEEKLY_AFTER_DAYS:
        unit = "week"
    grouped: dict[date, list[tuple[date, Decimal]]] = {}
    for day, amount in daily:
        grouped.setdefault(_bucket(day, unit), []).append((day, amount))
    result = []
    for days in grouped.values():
        result.append(
            Bar(
                start=days[0][0],
                end=days[-1][0] + timedelta(days=1),
                amount=sum((a for _, a in days), Decimal(0)),
                provisional=provisional_from is not None
                and any(d >= provisional_from for d, _ in days),
            )
        )
    return result, unit


def _bucket(day: date, unit: str) -> date:
    if unit == "month":
        return day.replace(day=1)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day


def label(bar: Bar, unit: str) -> str:
    """`Nov 3`, `wk Nov 3`, `Nov 2026`."""
    if unit == "month":
        return f"{bar.start:%b %Y}"
    text = f"{bar.start:%b} {bar.start.day}"
    return f"wk {text}" if unit == "week" else text


def tick_positions(count: int, limit: int = MAX_LABELS) -> list[int]:
    """Which bars get a label: evenly spaced, the last bar always, at most `limit`."""
    if count <= 0:
        return []
    step = max(1, math.ceil(count / limit))
    picked = list(range(count - 1, -1, -step))[::-1]
    return picked[-limit:]


def daily_chart(
    daily: list[tuple[date, Decimal]],
    *,
    title: str,
    currency: str,
    provisional_from: date | None = None,
) -> bytes:
    """A PNG bar chart of cost per day (per week or month for long windows)."""
    symbol = "$" if currency == "USD" else ""
    shown, unit = bars(daily, provisional_from)
    values = [float(b.amount) for b in shown]
    colors = [PROVISIONAL_COLOUR if b.provisional else SETTLED_COLOUR for b in shown]
    ticks = tick_positions(len(shown))
    with _LOCK:
        figure = Figure(figsize=(8, 3.2), dpi=100)
        axes = figure.subplots()
        axes.bar(range(len(shown)), values, color=colors, width=0.8)
        axes.set_title(title + ("" if unit == "day" else f" (per {unit})"), fontsize=11, loc="left")
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: f"{symbol}{v:,.0f}" + ("" if symbol else f" {currency}"))
        )
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", alpha=0.3)
        axes.set_xticks(ticks, [label(shown[i], unit) for i in ticks], fontsize=8)
        axes.set_xlim(-0.6, max(len(shown), 1) - 0.4)
        if any(b.provisional for b in shown):
            axes.legend(
                handles=[Patch(color=PROVISIONAL_COLOUR, label="estimated (provisional)")],
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=8,
                frameon=False,
            )
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
