"""Labeled synthetic daily bills for the anomaly benchmark (and its tests).

Every series is reproducible from its seed and looks like one team x service of a real
bill: a level from $120 to $7,500/day, daily noise from quiet (0.5 %) to noisy (7 %), a
strong, weak or no weekend dip, growth or decline, maybe month-start charges (Support,
Tax, monthly fees), maybe a planned migration that changes the level for good, maybe a
late start. Injected on top:

- anomalies (labeled): one-day spikes, multi-day bursts, slowly growing leaks, the onset
  of an upward planned shift (only its first days: after them the new level is normal),
  and the first day of a series that appears from nothing;
- wiggles (not labeled, must not alert): one to three days up by less than the 20 %
  threshold, or by less than the $100 impact threshold.

Scoring is per alert, the way people see alerts: alerted days at most two days apart are
one alert (one message). An alert that overlaps a labeled event finds it; one that
overlaps none is a false alert. Precision = events found / (events found + false alerts),
recall = events found / events.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from bot.anomalies.detector import Thresholds, dense, episodes

START = date(2025, 1, 1)
Rule = Callable[[list[tuple[date, Decimal]]], Iterable[date]]


@dataclass
class Labeled:
    """One synthetic series with its labeled events (inclusive day windows)."""

    name: str
    values: list[tuple[date, Decimal]]
    noise: float
    events: list[tuple[date, date, str]] = field(default_factory=list)


def _level(rng: random.Random) -> float:
    return rng.choice([120.0, 250.0, 500.0, 1000.0, 2500.0, 6000.0]) * rng.uniform(0.8, 1.25)


def generate(rng: random.Random, n: int, days: int, thresholds: Thresholds) -> Labeled:
    """One labeled series of `days` days from START."""
    base = _level(rng)
    noise = rng.choice(
        [rng.uniform(0.005, 0.02), rng.uniform(0.02, 0.045), rng.uniform(0.045, 0.07)]
    )
    weekend = rng.choice([1.0, 0.92, 0.8, 0.6, 0.4])
    growth = rng.uniform(-0.04, 0.08)  # per month
    month_start = rng.uniform(0.3, 3.0) if rng.random() < 0.35 else 0.0
    starts_at = rng.randrange(120, 220) if rng.random() < 0.1 else 0
    shift_day = rng.randrange(max(100, starts_at + 40), days - 40) if rng.random() < 0.3 else None
    shift = rng.choice([1.35, 1.6, 2.0, 0.75, 0.6]) if shift_day is not None else 1.0
    label = Labeled(name=f"s{n:03d}", values=[], noise=noise)
    level = [
        base * (1 + growth) ** (i / 30) * (shift if shift_day is not None and i >= shift_day else 1)
        for i in range(days)
    ]
    values = []
    for i in range(days):
        day = START + timedelta(days=i)
        value = level[i] * (weekend if day.weekday() >= 5 else 1.0)
        value *= max(0.0, rng.gauss(1.0, noise))
        if day.day == 1:
            value += month_start * level[i] * rng.uniform(0.97, 1.03)
        values.append(0.0 if i < starts_at else value)

    def day_of(i: int) -> date:
        return START + timedelta(days=i)

    impact = float(thresholds.min_impact)
    if starts_at and values[starts_at] >= impact:
        label.events.append((day_of(starts_at), day_of(starts_at), "new series"))
    if shift_day is not None and shift > 1:
        onset = day_of(shift_day)
        label.events.append((onset, onset + timedelta(days=2), "planned shift (onset)"))
    taken: set[int] = set(range(shift_day - 10, shift_day + 21)) if shift_day is not None else set()
    taken |= set(range(starts_at + 45))

    def place(length: int) -> int | None:
        for _ in range(20):
            first = rng.randrange(45, days - length - 1)
            near = set(range(first - 10, first + length + 10))
            if not taken & near and not any(
                day_of(k).day == 1 for k in range(first, first + length)
            ):
                taken.update(near)
                return first
        return None

    def add(first: int, extras: list[float], kind: str, labeled: bool = True) -> None:
        for k, extra in enumerate(extras):
            values[first + k] += extra
        if labeled:
            label.events.append((day_of(first), day_of(first + len(extras) - 1), kind))

    for _ in range(rng.randint(1, 3)):  # one-day spikes
        if (at := place(1)) is not None:
            add(at, [max(rng.uniform(0.35, 2.0) * level[at], 1.5 * impact)], "spike")
    for _ in range(rng.randint(0, 2)):  # multi-day bursts
        length = rng.randint(2, 5)
        if (at := place(length)) is not None:
            size = max(rng.uniform(0.35, 1.5) * level[at], 1.5 * impact)
            add(at, [size * rng.uniform(0.85, 1.15) for _ in range(length)], "burst")
    if rng.random() < 0.3:  # a slowly growing leak, fixed after a while
        length = rng.randint(10, 25)
        if (at := place(length)) is not None:
            top = max(rng.uniform(0.5, 1.2) * level[at], 2 * impact)
            add(at, [top * (k + 1) / length for k in range(length)], "leak")
    for _ in range(rng.randint(2, 5)):  # wiggles under the thresholds: must not alert
        length = rng.randint(1, 3)
        if (at := place(length)) is not None:
            usual = level[at] * (weekend if day_of(at).weekday() >= 5 else 1.0)
            pct = rng.uniform(0.04, 0.13) * usual
            dollars = rng.uniform(0.2, 0.6) * impact
            add(at, [min(pct, dollars) if rng.random() < 0.3 else pct] * length, "", False)
    label.values = [(day_of(i), Decimal(f"{v:.2f}")) for i, v in enumerate(values)]
    label.events.sort()
    return label


def dataset(seed: int, series: int, days: int, thresholds: Thresholds) -> list[Labeled]:
    """`series` labeled series from one seed."""
    rng = random.Random(seed)
    return [generate(rng, n, days, thresholds) for n in range(series)]


@dataclass
class Score:
    """Alert-level counts over a set of series."""

    found: int = 0
    events: int = 0
    false_alerts: int = 0
    series: int = 0
    days: int = 0
    missed: list[tuple[str, str, date]] = field(default_factory=list)
    false: list[tuple[str, date]] = field(default_factory=list)

    def add(self, alerts: Iterable[date], truth: Labeled) -> None:
        days = sorted(set(alerts))
        self.series += 1
        self.days += len(truth.values)
        self.events += len(truth.events)
        for first, last, kind in truth.events:
            if any(first <= d <= last for d in days):
                self.found += 1
            else:
                self.missed.append((truth.name, kind, first))
        for first, last in episodes(days, gap=2):
            if not any(a <= last and first <= b for a, b, _ in truth.events):
                self.false_alerts += 1
                self.false.append((truth.name, first))

    @property
    def precision(self) -> float:
        alerts = self.found + self.false_alerts
        return self.found / alerts if alerts else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.events if self.events else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_per_series_year(self) -> float:
        return self.false_alerts / self.days * 365 if self.days else 0.0


def score(rule: Rule, data: Iterable[Labeled]) -> Score:
    """How `rule` (series -> alert days) does on `data`."""
    result = Score()
    for truth in data:
        result.add(rule(truth.values), truth)
    return result


def weekday_median_days(
    series: list[tuple[date, Decimal]], thresholds: Thresholds | None = None
) -> list[date]:
    """A plain rule for comparison: above the median of the last 4 same weekdays by both
    thresholds."""
    t = thresholds or Thresholds()
    out = []
    for i in range(28, len(series)):
        usual = median(series[i - 7 * w][1] for w in range(1, 5))
        day, x = series[i]
        if x - usual >= t.min_impact and x - usual > usual * t.min_increase_pct / 100:
            out.append(day)
    return out


def naive_alert_days(
    series: list[tuple[date, Decimal]], factor: Decimal = Decimal("1.5")
) -> list[date]:
    """The seed's rule, for comparison: alert when a day costs more than 1.5x the day before."""
    first, xs = dense(series)
    return [first + timedelta(days=i) for i in range(1, len(xs)) if xs[i] > xs[i - 1] * factor]
