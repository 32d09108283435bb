"""Score the anomaly detector and the seed's rule on a labeled synthetic set.

    .venv/bin/python benchmarks/anomaly_detector.py [--series 80] [--days 365] [--seed 2026]

The set is generated reproducibly (seeded): every series has a level, a weekday pattern,
noise and a trend; some have month-start charges, a level shift, or start mid-year. Spikes
of 1-3 days are injected, each large enough to deserve an alert (above 20 % and $100/day).
Labels (positive days): spike days; the first `level_shift_days` days of an upward level
shift; the first day of a new series. Everything else is negative. Scores are per day
(precision, recall, F1) and per injected event (found when any of its days alerted).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.anomalies.detector import Thresholds, alert_days, naive_alert_days

START = date(2025, 1, 1)


@dataclass
class Labeled:
    """One synthetic series with its positive days and its events."""

    name: str
    values: list[tuple[date, Decimal]]
    positives: set[date] = field(default_factory=set)
    events: list[set[date]] = field(default_factory=list)


def generate(rng: random.Random, n: int, days: int, thresholds: Thresholds) -> Labeled:
    """One series."""
    base = rng.choice([150.0, 300.0, 600.0, 1200.0, 2500.0, 5000.0]) * rng.uniform(0.8, 1.2)
    weekend = rng.choice([1.0, 0.9, 0.75, 0.6, 0.45])
    noise = rng.uniform(0.02, 0.08)
    growth = rng.uniform(-0.03, 0.08)  # per month
    month_start = rng.uniform(0.5, 3.0) if rng.random() < 0.4 else 0.0
    starts_at = rng.randrange(120, 220) if rng.random() < 0.12 else 0
    shift_day = rng.randrange(90, days - 30) if rng.random() < 0.35 else None
    shift = rng.choice([1.35, 1.6, 2.0, 0.7, 0.55]) if shift_day else 1.0
    label = Labeled(name=f"s{n:03d}", values=[])
    normal: list[float] = []
    for i in range(days):
        day = START + timedelta(days=i)
        level = base * (1 + growth) ** (i / 30)
        if shift_day is not None and i >= shift_day:
            level *= shift
        value = level * (weekend if day.weekday() >= 5 else 1.0)
        value *= max(0.0, rng.gauss(1.0, noise))
        if day.day == 1:
            value += month_start * level
        normal.append(0.0 if i < starts_at else value)
    values = list(normal)
    if starts_at:
        first = START + timedelta(days=starts_at)
        if Decimal(str(values[starts_at])) >= thresholds.min_impact:
            label.positives.add(first)
            label.events.append({first})
    if shift_day is not None and shift > 1:
        span = range(thresholds.level_shift_days)
        shifted = {START + timedelta(days=shift_day + k) for k in span}
        label.positives |= shifted
        label.events.append(shifted)
    taken = set(range(shift_day - 7, shift_day + 7)) if shift_day is not None else set()
    for _ in range(rng.randint(2, 4)):
        length = rng.choice([1, 1, 2, 3])
        first_i = rng.randrange(max(40, starts_at + 30), days - length)
        span = range(first_i, first_i + length)
        if taken & set(range(first_i - 10, first_i + length + 10)):
            continue
        taken |= set(span)
        extra = max(rng.uniform(0.4, 2.0), 1.5 * float(thresholds.min_impact) / base)
        event = set()
        for i in span:
            values[i] = normal[i] + extra * base
            event.add(START + timedelta(days=i))
        label.positives |= event
        label.events.append(event)
    label.values = [(START + timedelta(days=i), Decimal(f"{v:.2f}")) for i, v in enumerate(values)]
    return label


@dataclass
class Score:
    """Day-level and event-level counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    events: int = 0
    found: int = 0

    def add(self, alerts: set[date], truth: Labeled) -> None:
        self.tp += len(alerts & truth.positives)
        self.fp += len(alerts - truth.positives)
        self.fn += len(truth.positives - alerts)
        self.events += len(truth.events)
        self.found += sum(1 for event in truth.events if event & alerts)

    def line(self, name: str, series: int, days: int) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        false_per_year = self.fp / series * 365 / days
        return (
            f"{name:<22} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} "
            f"{self.found:>5}/{self.events:<5} {false_per_year:>12.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=80)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    thresholds = Thresholds()
    rng = random.Random(args.seed)
    dataset = [generate(rng, n, args.days, thresholds) for n in range(args.series)]
    ours, seed = Score(), Score()
    began = time.perf_counter()
    for truth in dataset:
        ours.add(set(alert_days(truth.values, thresholds)), truth)
    elapsed = time.perf_counter() - began
    for truth in dataset:
        seed.add(set(naive_alert_days(truth.values)), truth)
    positives = sum(len(t.positives) for t in dataset)
    print(
        f"{args.series} series x {args.days} days (seed {args.seed}), {positives} positive days, "
        f"thresholds {thresholds.min_increase_pct}% and ${thresholds.min_impact}/day"
    )
    print(f"{'rule':<22} {'precision':>9} {'recall':>7} {'F1':>6} {'events':>11} false/series-year")
    print(ours.line("detector (robust)", args.series, args.days))
    print(seed.line("seed: > 1.5x yesterday", args.series, args.days))
    print(f"detector time: {elapsed:.2f} s ({elapsed / args.series * 1000:.0f} ms per series-year)")


if __name__ == "__main__":
    main()
