"""The detector on hand-made series: weekday pattern, month starts, trend, shifts, new series."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.anomaly_bills import naive_alert_days
from bot.anomalies.detector import Thresholds, alert_days, episodes, evaluate
from bot.anomalies.recommend import Contributor, recommend

START = date(2026, 1, 5)  # a Monday


def build(
    days: int,
    *,
    weekend: float = 0.5,
    growth: float = 0.0,
    first_of_month: float = 0,
    spikes: dict[int, float] | None = None,
    shift: tuple[int, float] | None = None,
    starts_at: int = 0,
    base: float = 1000.0,
) -> list[tuple[date, Decimal]]:
    series = []
    for i in range(days):
        day = START + timedelta(days=i)
        value = base * (1 + growth) ** (i / 30) * (weekend if day.weekday() >= 5 else 1.0)
        value *= 1 + 0.02 * ((i * 7919) % 5 - 2) / 2  # small deterministic noise
        if shift and i >= shift[0]:
            value *= shift[1]
        if day.day == 1:
            value += first_of_month
        value *= (spikes or {}).get(i, 1.0)
        series.append((day, Decimal(f"{0 if i < starts_at else value:.2f}")))
    return series


def test_weekday_pattern_month_starts_and_trend_do_not_alert() -> None:
    series = build(150, weekend=0.4, growth=0.08, first_of_month=3000)
    assert alert_days(series) == []
    naive = naive_alert_days(series)
    assert any(d.weekday() == 0 for d in naive)  # the seed's rule cries every Monday
    assert any(d.day == 1 for d in naive)  # ... and on every 1st


def test_a_spike_alerts_with_expected_actual_and_impact() -> None:
    series = build(90, spikes={70: 1.6, 71: 1.5})
    verdicts = {v.day: v for v in evaluate(series)}
    assert alert_days(series) == [START + timedelta(days=70), START + timedelta(days=71)]
    spike = verdicts[START + timedelta(days=70)]
    assert spike.expected is not None and abs(spike.expected - 1000) < 40
    assert spike.impact > 500 and spike.increase_pct is not None and spike.increase_pct > 50


def test_both_thresholds_must_be_exceeded() -> None:
    small = build(90, base=100.0, spikes={70: 1.9})  # +90 %, but only $90
    assert alert_days(small) == []
    assert alert_days(small, Thresholds(min_impact=Decimal(50))) == [START + timedelta(days=70)]
    big = build(90, base=5000.0, spikes={70: 1.15})  # $750, but only +15 %
    assert alert_days(big) == []
    assert alert_days(big, Thresholds(min_increase_pct=Decimal(10))) == [START + timedelta(days=70)]


def test_anomalies_in_history_do_not_hide_the_next_one() -> None:
    spikes = {60: 2.0, 61: 2.0, 66: 1.5}
    days = alert_days(build(90, spikes=spikes))
    assert days == [START + timedelta(days=i) for i in (60, 61, 66)]


def test_a_level_shift_alerts_for_a_few_days_then_is_the_new_normal() -> None:
    series = build(120, shift=(70, 1.6))
    days = alert_days(series, Thresholds(level_shift_days=3))
    assert days == [START + timedelta(days=i) for i in (70, 71, 72)]
    assert episodes(days) == [(START + timedelta(days=70), START + timedelta(days=72))]


def test_a_month_start_spike_is_compared_with_previous_month_starts() -> None:
    series = build(150, first_of_month=2000)
    first_of_may = next(i for i, (d, _) in enumerate(series) if d == date(2026, 5, 1))
    spiked = build(150, first_of_month=2000, spikes={first_of_may: 1.8})
    assert alert_days(series) == []
    assert alert_days(spiked) == [date(2026, 5, 1)]


def test_a_new_series_alerts_once_then_learns() -> None:
    series = build(120, starts_at=60)
    assert alert_days(series) == [START + timedelta(days=60)]  # new spend, from nothing
    reasons = [v.reason for v in evaluate(series)][60:80]
    assert reasons[0] == "new spend" and reasons[1:14] == ["learning"] * 13
    assert set(reasons[14:]) == {"normal"}
    young = build(10)  # too little history: never alerts, never claims "new"
    assert alert_days(young) == []


def test_days_marked_expected_do_not_alert() -> None:
    series = build(90, spikes={70: 2.0})
    accepted = {START + timedelta(days=70)}
    assert not [v for v in evaluate(series, accepted=accepted) if v.alert]


def test_recommendations_follow_the_contributors() -> None:
    def item(usage: str) -> Contributor:
        return Contributor(usage, "eu-west-1", "111111111111", Decimal(90), Decimal(30))

    ec2 = recommend("Amazon Elastic Compute Cloud - Compute", [item("EUW1-BoxUsage:c5.2xlarge")])
    assert ec2[0].key == "review-instances" and "c5.2xlarge" in ec2[0].text
    mixed = recommend("x", [item("EUW1-DataTransfer-Out-Bytes"), item("Requests-Tier1")])
    assert [r.key for r in mixed] == ["optimize-data-transfer", "reduce-s3-requests"]
    assert recommend("x", [item("Mystery")])[0].key == "open-cost-explorer"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"FINOPS_CONFIG": str(cwd / "missing.yml"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )


def test_backtest_prints_alert_days_per_series(tmp_path: Path) -> None:
    rows = ["date,cost,series"]
    rows += [f"{d},{c},web" for d, c in build(90, spikes={70: 1.8})]
    rows += [f"{d},{c},batch" for d, c in build(90, weekend=0.3)]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n")
    done = run_cli("anomalies", "backtest", "--csv", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["alerts"] == {"batch": [], "web": [str(START + timedelta(days=70))]}
    assert result["thresholds"]["min_impact"] == "100"


def test_backtest_refuses_a_bad_csv_in_one_line(tmp_path: Path) -> None:
    cases = {
        "nohead.csv": ("2026-01-01,5\n", "needs a header with `date` and `cost`"),
        "baddate.csv": ("date,cost\n2026-13-01,5\n", "line 2: date '2026-13-01' is not YYYY-MM-DD"),
        "badcost.csv": ("date,cost\n2026-01-01,lots\n", "line 2: cost 'lots' is not a number"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        done = run_cli("anomalies", "backtest", "--csv", str(tmp_path / name), cwd=tmp_path)
        assert done.returncode == 2
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    missing = run_cli("anomalies", "backtest", "--csv", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


def flat(days: int, value: str = "1000") -> list[tuple[date, Decimal]]:
    return [(START + timedelta(days=i), Decimal(value)) for i in range(days)]


def with_day(series: list[tuple[date, Decimal]], i: int, value: str) -> list[tuple[date, Decimal]]:
    changed = list(series)
    changed[i] = (changed[i][0], Decimal(value))
    return changed


def test_threshold_edges_are_inclusive() -> None:
    base = flat(90)
    spike = START + timedelta(days=70)
    assert alert_days(with_day(base, 70, "1200.00")) == [spike]  # exactly +20 %
    assert alert_days(with_day(base, 70, "1199.99")) == []
    small = flat(90, "500")
    assert alert_days(with_day(small, 70, "600.00")) == [spike]  # exactly +20 % and $100
    assert alert_days(with_day(small, 70, "599.99")) == []
    [verdict] = [v for v in evaluate(with_day(base, 70, "1200.00")) if v.alert]
    assert verdict.expected == Decimal("1000.00") and verdict.increase_pct == 20


def noisy(days: int, noise: float, seed: int = 4) -> list[tuple[date, Decimal]]:
    import random

    rng = random.Random(seed)
    return [
        (START + timedelta(days=i), Decimal(f"{1000 * rng.gauss(1.0, noise):.2f}"))
        for i in range(days)
    ]


def test_an_increase_must_clear_the_series_own_noise_band() -> None:
    for noise, alerts in ((0.01, True), (0.07, False)):
        series = noisy(100, noise)
        before = {v.day: v for v in evaluate(series)}[series[80][0]]
        assert before.expected is not None and before.band is not None
        bumped = with_day(series, 80, f"{before.expected * Decimal('1.22'):.2f}")
        verdict = {v.day: v for v in evaluate(bumped)}[series[80][0]]
        assert verdict.increase_pct is not None and verdict.increase_pct > 20
        assert verdict.alert is alerts, (noise, verdict)
        # The band is the series' noise: about min_z x 7 % for the noisy one.
        if not alerts:
            assert Decimal("0.18") * verdict.expected < verdict.band < Decimal("0.35") * 1000
        else:
            assert verdict.band < Decimal("0.06") * verdict.expected
    # Large enough, even the noisy series alerts.
    series = noisy(100, 0.07)
    assert series[80][0] in alert_days(with_day(series, 80, "1600"))


def test_not_an_anomaly_widens_that_kind_of_deviation_only() -> None:
    from bot.anomalies.detector import MONTH_START, Tuning

    series = build(150, first_of_month=2000, spikes={70: 1.4, 100: 1.9})
    first_of_may = next(i for i, (d, _) in enumerate(series) if d == date(2026, 5, 1))
    series = with_day(series, first_of_may, f"{series[first_of_may][1] + 1000}")
    days = alert_days(series)
    assert {START + timedelta(days=70), START + timedelta(days=100), date(2026, 5, 1)} <= set(days)
    tuned = Tuning(min_increase_pct={"day": Decimal(50)})  # owners: +40 % days are normal
    quieter = alert_days(series, tuning=tuned)
    assert START + timedelta(days=70) not in quieter
    assert START + timedelta(days=100) in quieter  # +90 %: still an anomaly
    assert date(2026, 5, 1) in quieter  # another kind of deviation: untouched
    month = Tuning(min_increase_pct={MONTH_START: Decimal(500)})
    assert date(2026, 5, 1) not in alert_days(series, tuning=month)


def test_expected_accepts_the_new_level() -> None:
    series = build(120, shift=(70, 1.6))
    accepted = [START + timedelta(days=i) for i in (70, 71, 72)]
    verdicts = evaluate(series, accepted=accepted)
    assert not [v for v in verdicts if v.alert]
    later = [v for v in verdicts if v.day > accepted[-1] + timedelta(days=7)]
    assert later and all(v.expected and abs(v.impact) < v.expected / 10 for v in later)


def test_recommendations_link_the_matching_command() -> None:
    def item(usage: str) -> Contributor:
        return Contributor(usage, "eu-west-1", "111111111111", Decimal(90), Decimal(30))

    [ec2] = recommend("x", [item("EUW1-BoxUsage:c5.xlarge")], team="search")
    assert ec2.command == "/rightsize team=search"
    top = recommend("x", [item("EBS:SnapshotUsage"), item("Requests-Tier1")], team="data")
    assert [r.command for r in top] == ["/orphans team=data", "/storage team=data"]
    assert recommend("x", [item("EUW1-BoxUsage:m5.large")])[0].command == "/rightsize"


def test_the_return_from_a_dip_is_not_an_anomaly() -> None:
    # Five days at half (holidays, an outage) become "the new normal", but going back to
    # the level before them does not alert against the dip; a spike after it still does.
    dip = {i: 0.5 for i in range(70, 75)}
    assert alert_days(build(120, spikes=dip)) == []
    assert alert_days(build(120, spikes={**dip, 90: 1.6})) == [START + timedelta(days=90)]
    assert alert_days(build(120, spikes={**dip, 75: 1.6})) == [START + timedelta(days=75)]
    # A drop that lasts beyond RECOVERY_DAYS is the new level: going back up is news.
    long = {i: 0.5 for i in range(60, 90)}
    assert alert_days(build(120, spikes=long)) == [START + timedelta(days=n) for n in (90, 91, 92)]
