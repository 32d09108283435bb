"""`finops-bot anomalies backtest --csv FILE`: the days each series would have alerted on.

With owners' feedback in the database (a CSV series named like a stored series, e.g.
`*/search/Amazon Elastic Compute Cloud - Compute`, or `--tuned-from SERIES` for all of
them), it also shows what the tuned settings would have alerted on.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.anomalies.detector import Thresholds, Tuning, alert_days, evaluate

DEFAULT_SERIES = "total"


class BacktestError(ValueError):
    """The CSV cannot be read; the message says where and why, in one line."""


def read_series(path: str | Path) -> dict[str, list[tuple[date, Decimal]]]:
    """Series by name from a `date,cost[,series]` CSV (header required, any column order)."""
    name = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise BacktestError(f"{name}: cannot be read ({exc.strerror})") from None
    series: dict[str, dict[date, Decimal]] = defaultdict(dict)
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        if "date" not in columns or "cost" not in columns:
            raise BacktestError(f"{name}: needs a header with `date` and `cost` columns")
        reader.fieldnames = columns
        try:
            for row in reader:
                line = reader.line_num
                day = _date(row.get("date"), name, line)
                cost = _cost(row.get("cost"), name, line)
                key = (row.get("series") or "").strip() or DEFAULT_SERIES
                if day in series[key]:
                    raise BacktestError(f"{name}: line {line}: {day} appears twice for {key}")
                series[key][day] = cost
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BacktestError(f"{name}: not a readable CSV ({exc})") from None
    if not series:
        raise BacktestError(f"{name}: has no rows")
    return {key: sorted(days.items()) for key, days in sorted(series.items())}


def _date(text: str | None, name: str, line: int) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise BacktestError(f"{name}: line {line}: date {text!r} is not YYYY-MM-DD") from None


def _cost(text: str | None, name: str, line: int) -> Decimal:
    try:
        value = Decimal((text or "").strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise BacktestError(f"{name}: line {line}: cost {text!r} is not a number") from None
    if not value.is_finite():
        raise BacktestError(f"{name}: line {line}: cost {text!r} is not a number")
    return value


@dataclass(frozen=True)
class Feedback:
    """A stored series' tuning: what "not an anomaly" taught, the days accepted as expected."""

    tuning: Tuning
    accepted: list[date]
    note: str


def backtest(
    path: str | Path, thresholds: Thresholds, feedback: Mapping[str, Feedback] | None = None
) -> dict[str, object]:
    """The JSON-ready result: thresholds used and alert days per series (and, for series
    with feedback, the days the tuned settings alert on)."""
    series = read_series(path)
    tuned: dict[str, object] = {}
    for key, values in series.items():
        if feedback and (known := feedback.get(key)) is not None:
            verdicts = evaluate(values, thresholds, accepted=known.accepted, tuning=known.tuning)
            tuned[key] = {
                "note": known.note,
                "min_increase_pct": {k: str(v) for k, v in known.tuning.min_increase_pct.items()},
                "alerts": [v.day.isoformat() for v in verdicts if v.alert],
            }
    result = _result(series, thresholds)
    if tuned:
        result["tuned"] = tuned
    return result


def _result(
    series: dict[str, list[tuple[date, Decimal]]], thresholds: Thresholds
) -> dict[str, object]:
    return {
        "thresholds": {
            "min_increase_pct": str(thresholds.min_increase_pct),
            "min_impact": str(thresholds.min_impact),
            "min_history_days": thresholds.min_history_days,
            "level_shift_days": thresholds.level_shift_days,
            "min_z": str(thresholds.min_z),
        },
        "alerts": {
            key: [day.isoformat() for day in alert_days(values, thresholds)]
            for key, values in series.items()
        },
    }
