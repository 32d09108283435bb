"""The daily cost chart: a small PNG made with matplotlib (Agg, no display needed)."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

#: Charts are only drawn for periods at least this long.
MIN_CHART_DAYS = 7
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


def daily_chart(
    daily: list[tuple[date, Decimal]],
    *,
    title: str,
    currency: str,
    provisional_from: date | None = None,
) -> bytes:
    """A PNG bar chart of cost per day; provisional (estimated) days are drawn lighter."""
    symbol = "$" if currency == "USD" else ""
    days = [day for day, _ in daily]
    values = [float(amount) for _, amount in daily]
    colors = [
        "#9ecae1" if provisional_from and day >= provisional_from else "#3182bd" for day in days
    ]
    with _LOCK:
        figure = Figure(figsize=(8, 3.2), dpi=100)
        axes = figure.subplots()
        axes.bar(days, values, color=colors, width=0.8)  # type: ignore[arg-type]
        axes.set_title(title, fontsize=11, loc="left")
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: f"{symbol}{v:,.0f}" + ("" if symbol else f" {currency}"))
        )
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", alpha=0.3)
        axes.xaxis.set_major_formatter(DateFormatter("%b %d"))
        if provisional_from is not None and any(day >= provisional_from for day in days):
            axes.legend(
                handles=[Patch(color="#9ecae1", label="estimated (provisional)")],
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=8,
                frameon=False,
            )
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
