"""The anomaly detector: pure functions on daily cost series `[(date, Decimal), ...]`.

For each day the baseline is built only from the days before it:

- weekly pattern: a weekday profile, the median over up to 8 weeks of each day's cost
  relative to its week's median;
- level and trend: over the last 4 weeks, costs divided by the profile; the trend is the
  Theil-Sen slope of the weekly medians, the level the median of every day projected to
  today along it. Medians make the baseline robust: a few odd days do not move it, and
  days already alerted on are left out of it;
- month starts (the 1st): the usual day plus the "month-start premium" seen on previous
  1sts (Support, Tax, monthly fees), extrapolated along their own trend;
- level shifts: `level_shift_days` days off the baseline the same way (upward ones only
  if big enough to alert, or accepted) make a new normal; a return from a short dip to
  the level before it is a recovery, not an anomaly;
- new series: no alert before `min_history_days` of history, except once, on its first
  day, when it appears from nothing with an impact above the threshold.

A day alerts when it is above the baseline by both `min_increase_pct` and `min_impact`,
and by more than the series' own noise band: `min_z` robust standard deviations (1.4826 x
MAD) of its recent residuals against this same baseline, widened while the level rests on
few days. So a series with 7 % daily noise needs about +25 %, a quiet one just +20 %.
Owners' "not an anomaly" answers raise the threshold for that kind of deviation (`Tuning`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from bot.anomalies.verdicts import DayVerdict, Series, Thresholds, Tuning

__all__ = ["DayVerdict", "Series", "Thresholds", "Tuning", "alert_days", "episodes", "evaluate"]

ZERO = Decimal(0)
CENT = Decimal("0.01")
_MAD_TO_SIGMA = Decimal("1.4826")
PROFILE_WEEKS = 8
LEVEL_WEEKS = 4
MONTH_STARTS = 3
#: The trend may move the level by at most this share per week.
MAX_WEEKLY_TREND = Decimal("0.10")
#: The noise band is the spread of the residuals of the last NOISE_DAYS days (at least
#: MIN_RESIDUALS of them; before that, the spread of the level's own points).
NOISE_DAYS = 56
MIN_RESIDUALS = 14
#: No series is quieter than this (relative standard deviation), whatever it showed so far.
MIN_NOISE = Decimal("0.005")
#: A rise back to the level before a drop at most this many days old is a recovery.
RECOVERY_DAYS = 21


def dense(series: Series) -> tuple[date, list[Decimal]]:
    """The series as (first day, one value per day), missing days counted as 0."""
    if not series:
        return date.min, []
    ordered = sorted(series)
    first, last = ordered[0][0], ordered[-1][0]
    values = [ZERO] * ((last - first).days + 1)
    for day, amount in ordered:
        values[(day - first).days] += Decimal(amount)
    return first, values


@dataclass
class _Baseline:
    expected: Decimal
    sigma: Decimal  # spread of the level's points, in $ (a fallback for the noise band)
    points: int  # how many days the level is the median of


DAY, MONTH_START = "day", "month start"


class _Detector:
    """One pass over a series, day by day, carrying the level-shift and noise state."""

    def __init__(
        self,
        first: date,
        xs: list[Decimal],
        t: Thresholds,
        accepted: Collection[date],
        tuning: Tuning,
    ):
        self.first, self.xs, self.t, self.tuning = first, xs, t, tuning
        self.start = next((i for i, x in enumerate(xs) if x != 0), len(xs))
        self.month_start = [(first + timedelta(days=i)).day == 1 for i in range(len(xs))]
        self.accepted = {(d - first).days for d in accepted}
        self.masked: set[int] = set()
        self.shift_start, self.shift_sign = 0, 0
        self.run_sign, self.run_start, self.run_length = 0, 0, 0
        #: Relative residuals (actual / expected - 1) of the days judged normal, by day.
        self.residuals: list[tuple[int, Decimal]] = []
        #: The 1sts seen, and whether each alerted.
        self.firsts: list[tuple[int, bool]] = []
        #: The last downward shift: (where the level before it started, where it started).
        self.drop: tuple[int, int] | None = None

    def verdicts(self) -> list[DayVerdict]:
        return [self._judge(i) for i in range(len(self.xs))]

    def _judge(self, i: int) -> DayVerdict:
        day, x, t = self.first + timedelta(days=i), self.xs[i], self.t
        if i < self.start:
            return DayVerdict(day, x, None, False, "no history")
        if i - self.start < t.min_history_days:
            new = i == self.start and self.start >= t.min_history_days and x >= t.min_impact
            reason = "new spend" if new else "learning"
            return DayVerdict(day, x, ZERO if new else None, new, reason)
        profile = self._profile(i)
        base = self._regular(i, profile)
        if base is None:
            return DayVerdict(day, x, None, False, "learning")
        kind, expected = DAY, max(base.expected, ZERO)
        if self.month_start[i]:
            kind, premium = MONTH_START, self._projected_premium(i, profile)
            if premium is None:
                self.firsts.append((i, False))
                return DayVerdict(day, x, None, False, "learning")
            expected = max(expected + premium, ZERO)
        band = self._band(i, base, expected)
        sign = self._direction(x, expected, band, kind)
        if sign > 0 and kind == DAY and self._recovers(i, profile):
            base = self._regular(i, profile) or base
            expected = max(base.expected, ZERO)
            band = self._band(i, base, expected)
            sign = self._direction(x, expected, band, kind)
        worthy = sign > 0 and x - expected >= t.min_impact
        alert = worthy and i not in self.accepted
        if kind == MONTH_START:
            self.firsts.append((i, alert))
        else:
            if alert:
                self.masked.add(i)
            elif expected > 0 and sign <= 0:
                self.residuals.append((i, x / expected - 1))
            # Upward runs make a new normal only when they are big enough to alert (or owners
            # accepted them): smaller rises enter the baseline through the median anyway.
            self._track_shift(i, sign if sign < 0 or worthy else 0)
        reason = "spike" if alert else "normal"
        return DayVerdict(day, x, expected.quantize(CENT), alert, reason, band.quantize(CENT))

    def _band(self, i: int, base: _Baseline, expected: Decimal) -> Decimal:
        """The series' own noise band around `expected`, in $.

        The robust spread (MAD) of recent residuals against this same weekday-aware
        baseline, widened for a level estimated from few days (right after a shift).
        """
        recent = [r for k, r in self.residuals if k >= i - NOISE_DAYS]
        if len(recent) >= MIN_RESIDUALS:
            center = median(recent)
            sigma = median([abs(r - center) for r in recent]) * _MAD_TO_SIGMA * expected
        else:
            sigma = base.sigma
        widen = (1 + Decimal("1.57") / max(base.points, 1)).sqrt()
        return self.t.min_z * max(sigma, expected * MIN_NOISE) * widen

    def _direction(self, x: Decimal, expected: Decimal, band: Decimal, kind: str) -> int:
        """+1/-1 when x is off the baseline by the relative threshold and beyond noise."""
        deviation = x - expected
        if abs(deviation) <= band:
            return 0
        pct = self.tuning.increase_pct(kind, self.t.min_increase_pct) if deviation > 0 else None
        if expected and abs(deviation) * 100 < (pct or self.t.min_increase_pct) * expected:
            return 0
        return 1 if deviation > 0 else -1 if deviation < 0 else 0

    def _projected_premium(self, i: int, profile: list[Decimal]) -> Decimal | None:
        """What previous 1sts cost above their usual day, projected to this one.

        In dollars, along their own trend (Support, Tax, monthly fees). A past 1st's usual
        day is the median of the week around it (weekday-adjusted), so a burst or shift
        before it does not distort it. 1sts that alerted are left out, unless the last two
        both did (a new normal).
        """
        recent = self.firsts[-MONTH_STARTS:]
        accepted = len(recent) >= 2 and recent[-1][1] and recent[-2][1]
        values = []
        for k, alerted in recent:
            if alerted and not accepted:
                continue
            around = [
                self.xs[j] / profile[(i - j) % 7]
                for j in range(max(self.start, k - 7), min(i, k + 8))
                if j != k and self._usable(j) and j not in self.masked
            ]
            if len(around) >= 4:
                values.append(self.xs[k] - median(around) * profile[(i - k) % 7])
        if not values:
            return None
        last = values[-1]
        if len(values) == 1:
            return last
        if len(values) == 2:
            cap = abs(last) / 4
            return last + max(-cap, min(cap, values[1] - values[0]))
        pairs = [(a, b) for a in range(3) for b in range(a + 1, 3)]
        slope = median([(values[b] - values[a]) / (b - a) for a, b in pairs])
        cap = abs(median(values)) / 4
        slope = max(-cap, min(cap, slope))
        return median([p + slope * (len(values) - n) for n, p in enumerate(values)])

    def _track_shift(self, i: int, sign: int) -> None:
        if sign == 0:
            self.run_sign, self.run_length = 0, 0
            return
        if sign != self.run_sign:
            self.run_sign, self.run_start, self.run_length = sign, i, 0
        self.run_length += 1
        if self.run_length >= self.t.level_shift_days:
            # A drop may be a dip (holidays, an outage): remember the level before it,
            # unless that level was a recent rise (then the drop is a burst ending).
            burst = self.shift_sign > 0 and self.run_start - self.shift_start <= RECOVERY_DAYS
            self.drop = (self.shift_start, self.run_start) if sign < 0 and not burst else None
            self.shift_start, self.shift_sign = self.run_start, sign
            self.masked = {m for m in self.masked if m < self.run_start}
            self.run_sign, self.run_length = 0, 0

    def _recovers(self, i: int, profile: list[Decimal]) -> bool:
        """Whether a rise is the return from a recent dip to the level before it.

        Then the dip's days leave the baseline and the level before it is normal again,
        instead of the return alerting against the dip. A drop that lasted more than
        RECOVERY_DAYS is the new normal.
        """
        if self.drop is None or i - self.drop[1] > RECOVERY_DAYS:
            return False
        before, dip = self.drop
        saved = self.shift_start, self.masked
        self.shift_start, self.masked = before, self.masked | set(range(dip, i))
        old = self._regular(i, profile)
        back = old is not None and self.xs[i] <= old.expected * (1 + self.t.min_increase_pct / 100)
        if back:
            self.drop = None
        else:
            self.shift_start, self.masked = saved
        return back

    # -- the baseline ------------------------------------------------------------------

    def _usable(self, k: int) -> bool:
        return k >= self.start and not self.month_start[k]

    def _profile(self, i: int) -> list[Decimal]:
        """Seven weekday factors averaging 1 (all 1 with less than two full weeks)."""
        ratios: list[list[Decimal]] = [[] for _ in range(7)]
        for week in range(PROFILE_WEEKS):
            lo, hi = i - 7 * (week + 1), i - 7 * week
            if lo < self.start:
                break
            days = [k for k in range(lo, hi) if self._usable(k)]
            level = median([self.xs[k] for k in days]) if len(days) >= 5 else ZERO
            if level <= 0:
                continue
            for k in days:
                ratios[(i - k) % 7].append(self.xs[k] / level)
        if min(len(r) for r in ratios) < 2:
            return [Decimal(1)] * 7
        factors = [median(r) for r in ratios]
        mean = sum(factors, ZERO) / 7
        return [f / mean for f in factors] if mean > 0 else [Decimal(1)] * 7

    def _regular(self, i: int, profile: list[Decimal]) -> _Baseline | None:
        """The expected cost of day i from the last weeks, weekday pattern and trend."""
        lo = max(self.start, self.shift_start, i - 7 * LEVEL_WEEKS)
        points: list[tuple[int, Decimal]] = []
        for k in range(lo, i):
            factor = profile[(i - k) % 7]
            if self._usable(k) and k not in self.masked and factor >= Decimal("0.1"):
                points.append((k, self.xs[k] / factor))
        if not points:
            return None
        slope = self._trend(i, points)
        projected = [y + slope * (i - k) for k, y in points]
        level = median(projected)
        spread = median([abs(p - level) for p in projected]) * _MAD_TO_SIGMA
        factor = profile[0]  # (i - i) % 7: today's weekday
        return _Baseline(level * factor, spread * factor, len(points))

    def _trend(self, i: int, points: list[tuple[int, Decimal]]) -> Decimal:
        """Theil-Sen slope (per day) of the weekly medians; 0 with fewer than 3 weeks."""
        weeks: dict[int, list[tuple[int, Decimal]]] = {}
        for k, y in points:
            weeks.setdefault((i - 1 - k) // 7, []).append((k, y))
        blocks = [
            (Decimal(sum(k for k, _ in pts)) / len(pts), median([y for _, y in pts]))
            for pts in weeks.values()
            if len(pts) >= 3
        ]
        if len(blocks) < 3:
            return ZERO
        slopes = [
            (y2 - y1) / (c2 - c1)
            for n, (c1, y1) in enumerate(blocks)
            for c2, y2 in blocks[n + 1 :]
            if c2 != c1
        ]
        slope = median(slopes)
        cap = abs(median([y for _, y in blocks])) * MAX_WEEKLY_TREND / 7
        return max(-cap, min(cap, slope))


def evaluate(
    series: Series,
    thresholds: Thresholds | None = None,
    *,
    accepted: Collection[date] = (),
    tuning: Tuning | None = None,
) -> list[DayVerdict]:
    """A verdict for every day from the first to the last of `series`.

    `accepted`: days owners marked as expected; they never alert, count as normal, and a
    run of them makes the new level normal. `tuning`: what "not an anomaly" answers taught.
    """
    first, xs = dense(series)
    if not xs:
        return []
    detector = _Detector(first, xs, thresholds or Thresholds(), accepted, tuning or Tuning())
    return detector.verdicts()


def alert_days(
    series: Series, thresholds: Thresholds | None = None, *, tuning: Tuning | None = None
) -> list[date]:
    """The days the detector alerts on."""
    return [v.day for v in evaluate(series, thresholds, tuning=tuning) if v.alert]


def episodes(days: Sequence[date], *, gap: int = 2) -> list[tuple[date, date]]:
    """Alert days grouped into (first, last) runs; days at most `gap` apart join a run."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days <= gap:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
