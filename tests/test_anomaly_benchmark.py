"""The benchmark's generator and scoring, on a small seeded set: F1 cannot drop silently."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from benchmarks.anomaly_bills import (
    START,
    Labeled,
    Score,
    dataset,
    generate,
    naive_alert_days,
    score,
    weekday_median_days,
)
from bot.anomalies.detector import Thresholds, alert_days

T = Thresholds()


def test_the_generator_is_reproducible_and_looks_like_real_bills() -> None:
    first = dataset(3, 12, 365, T)
    again = dataset(3, 12, 365, T)
    assert [s.values for s in first] == [s.values for s in again]
    assert first[0].values != dataset(4, 1, 365, T)[0].values
    many = dataset(5, 60, 365, T)
    kinds = {kind for s in many for *_, kind in s.events}
    assert kinds == {"spike", "burst", "leak", "planned shift (onset)", "new series"}
    noise = [s.noise for s in many]
    assert min(noise) < 0.01 and 0.06 < max(noise) <= 0.07
    for s in many:
        assert len(s.values) == 365 and all(v >= 0 for _, v in s.values)
        for first_day, last_day, kind in s.events:
            assert first_day <= last_day
            if kind == "planned shift (onset)":  # labeled only at its onset
                assert (last_day - first_day).days == 2


def test_scoring_counts_alerts_the_way_people_see_them() -> None:
    day = START + timedelta(days=100)
    truth = Labeled("x", [(day, Decimal(1))], 0.01, [(day, day + timedelta(days=2), "burst")])
    result = Score()
    # Two alerted days of one event: one event found. An alert 10 days later: one false
    # alert, however many days it lasts (days at most two apart are one message).
    alerts = [day, day + timedelta(days=1), *(day + timedelta(days=n) for n in (10, 11, 13))]
    result.add(alerts, truth)
    assert (result.found, result.events, result.false_alerts) == (1, 1, 1)
    assert result.precision == 0.5 and result.recall == 1.0
    assert abs(result.f1 - 2 / 3) < 1e-9
    assert result.false_per_series_year == 365.0  # one false alert in a one-day series
    missed = Score()
    missed.add([], truth)
    assert (missed.recall, missed.f1, missed.missed) == (0.0, 0.0, [("x", "burst", day)])


def test_the_detector_keeps_f1_and_recall_on_a_small_seeded_set() -> None:
    data = dataset(3, 12, 365, T)
    ours = score(lambda s: alert_days(s, T), data)
    assert ours.events >= 30
    assert ours.recall >= 0.95, ours.missed
    assert ours.f1 >= 0.95, (ours.missed, ours.false)
    assert ours.false_per_series_year <= 0.5
    # ... well ahead of the seed's rule and a plain weekday-median rule on the same data.
    assert score(naive_alert_days, data).f1 < 0.4
    assert score(weekday_median_days, data).f1 < 0.8


def test_wiggles_under_the_thresholds_do_not_alert() -> None:
    rng = random.Random(8)
    quiet = [generate(rng, n, 200, T) for n in range(30)]
    quiet = [s for s in quiet if s.noise < 0.02]
    assert quiet
    for truth in quiet:  # wiggles are 4-13 % up: never above the 20 % threshold
        alerts = set(alert_days(truth.values, T))
        labeled = {
            first + timedelta(days=n)
            for first, last, _ in truth.events
            for n in range((last - first).days + 1)
        }
        stray = [d for d in alerts - labeled if not any(abs((d - x).days) <= 2 for x in labeled)]
        assert stray == [], (truth.name, stray)


def test_the_weekday_median_rule_uses_both_thresholds() -> None:
    days = [(date(2026, 1, 5) + timedelta(days=n), Decimal(1000)) for n in range(40)]
    days[35] = (days[35][0], Decimal(1150))  # +15 %: under 20 %
    days[36] = (days[36][0], Decimal(1300))  # +30 % and $300
    assert weekday_median_days(days) == [days[36][0]]
