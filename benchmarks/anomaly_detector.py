"""Score the anomaly detector, the seed's rule and a weekday-median rule on labeled bills.

    .venv/bin/python benchmarks/anomaly_detector.py [--series 120] [--days 365]
        [--seed 2026] [--holdout-seed 4242] [--misses]

Two independently seeded sets (see benchmarks/anomaly_bills.py for what they contain and
how alerts are scored): the detector was tuned on `--seed`; `--holdout-seed` was not
looked at while tuning. Default thresholds (20 % and $100/day) for every rule.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.anomaly_bills import (
    Labeled,
    Score,
    dataset,
    naive_alert_days,
    score,
    weekday_median_days,
)
from bot.anomalies.detector import Thresholds, alert_days


def line(name: str, result: Score) -> str:
    return (
        f"{name:<28} {result.precision:>9.3f} {result.recall:>7.3f} {result.f1:>6.3f} "
        f"{result.found:>5}/{result.events:<5} {result.false_alerts:>6} "
        f"{result.false_per_series_year:>12.2f}"
    )


def report(title: str, data: list[Labeled], thresholds: Thresholds, misses: bool) -> None:
    events = Counter(kind for truth in data for *_, kind in truth.events)
    print(f"{title}: {len(data)} series x {len(data[0].values)} days; events: {dict(events)}")
    print(
        f"{'rule':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'found':>11} {'false':>6} "
        "false/series-year"
    )
    began = time.perf_counter()
    ours = score(lambda s: alert_days(s, thresholds), data)
    elapsed = time.perf_counter() - began
    print(line("detector (noise-adaptive)", ours))
    print(line("seed: > 1.5 x yesterday", score(naive_alert_days, data)))
    print(line("weekday median (4 weeks)", score(weekday_median_days, data)))
    print(f"detector time: {elapsed:.2f} s ({elapsed / len(data) * 1000:.0f} ms per series-year)")
    if misses:
        print("missed:", ours.missed)
        print("false:", ours.false)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=120)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--holdout-seed", type=int, default=4242)
    parser.add_argument("--misses", action="store_true", help="list missed and false alerts")
    args = parser.parse_args()
    thresholds = Thresholds()
    print(f"thresholds: {thresholds.min_increase_pct} % and ${thresholds.min_impact}/day\n")
    tuned = dataset(args.seed, args.series, args.days, thresholds)
    report(f"tuning set (seed {args.seed})", tuned, thresholds, args.misses)
    held = dataset(args.holdout_seed, args.series, args.days, thresholds)
    report(f"held-out set (seed {args.holdout_seed}, not tuned on)", held, thresholds, args.misses)


if __name__ == "__main__":
    main()
