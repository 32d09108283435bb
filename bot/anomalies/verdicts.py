"""What the anomaly detector takes and gives: its thresholds, owners' tuning, and one
verdict per day (the detector itself is `bot.anomalies.detector`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

Series = Sequence[tuple[date, Decimal]]
ZERO = Decimal(0)


@dataclass(frozen=True)
class Thresholds:
    """When a deviation is an alert (see AnomaliesConfig for the config file's names)."""

    min_increase_pct: Decimal = Decimal(20)
    min_impact: Decimal = Decimal(100)
    min_history_days: int = 14
    level_shift_days: int = 3
    #: How many robust standard deviations of the series' own noise an increase must clear.
    min_z: Decimal = Decimal("3.5")

    @classmethod
    def from_config(cls, config: object) -> Thresholds:
        """From an AnomaliesConfig (or anything with the same attributes)."""
        return cls(
            min_increase_pct=Decimal(getattr(config, "min_increase_pct", cls.min_increase_pct)),
            min_impact=Decimal(getattr(config, "min_impact", cls.min_impact)),
            min_history_days=int(getattr(config, "min_history_days", cls.min_history_days)),
            level_shift_days=int(getattr(config, "level_shift_days", cls.level_shift_days)),
            min_z=Decimal(getattr(config, "min_z", cls.min_z)),
        )


@dataclass(frozen=True)
class Tuning:
    """What owners taught the detector about one series ("not an anomaly" answers).

    `min_increase_pct` per deviation kind ("day" or "month start") replaces the configured
    threshold when higher: deviations like the ones owners called normal stay quiet, larger
    ones still alert.
    """

    min_increase_pct: dict[str, Decimal] = field(default_factory=dict)

    def increase_pct(self, kind: str, configured: Decimal) -> Decimal:
        """The threshold for `kind`: the configured one, widened by feedback."""
        return max(configured, self.min_increase_pct.get(kind, configured))


@dataclass(frozen=True)
class DayVerdict:
    """What the detector thinks of one day."""

    day: date
    actual: Decimal
    expected: Decimal | None  # None while the series is learning
    alert: bool
    reason: str  # normal, spike, new spend, learning, no history
    #: The series' noise band around `expected` in $ (min_z robust standard deviations).
    band: Decimal | None = None

    @property
    def impact(self) -> Decimal:
        """Actual minus expected (0 while learning)."""
        return ZERO if self.expected is None else self.actual - self.expected

    @property
    def increase_pct(self) -> Decimal | None:
        """The increase over the baseline in %, None when the baseline is 0 or unknown."""
        if not self.expected:
            return None
        return (self.actual - self.expected) / self.expected * 100
