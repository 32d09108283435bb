"""Anomalies as the bot tracks them: episodes of a series, stored with owners' answers.

Plain data in and out; nothing here knows about Slack or AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.anomalies.detector import DayVerdict, Series, Thresholds, episodes, evaluate
from bot.anomalies.recommend import Contributor, Recommendation
from storage import audit
from storage.models_alerts import ANOMALY_STATUSES, Anomaly

#: Alert days at most this many days apart are one anomaly (one message).
EPISODE_GAP = 2


@dataclass(frozen=True)
class Finding:
    """One anomaly episode of one series, as the detector sees it now."""

    team: str | None
    service: str
    account: str | None
    days: list[DayVerdict]  # the alerted days, oldest first

    @property
    def series(self) -> str:
        """The series id: account/team/service."""
        return series_key(self.team, self.service, self.account)

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day

    @property
    def peak(self) -> DayVerdict:
        """The day with the largest impact."""
        return max(self.days, key=lambda v: v.impact)

    @property
    def impact(self) -> Decimal:
        """Extra cost over every alerted day."""
        return sum((v.impact for v in self.days), Decimal(0))


def series_key(team: str | None, service: str, account: str | None) -> str:
    """A stable id for a team x service (x account) series."""
    return f"{account or '*'}/{team or '(untagged)'}/{service}"[:255]


def find(
    series: Series,
    thresholds: Thresholds,
    *,
    team: str | None,
    service: str,
    account: str | None,
    since: date,
    accepted: Sequence[date] = (),
) -> list[Finding]:
    """The episodes of `series` whose last alerted day is on or after `since`."""
    verdicts = {v.day: v for v in evaluate(series, thresholds, accepted=accepted) if v.alert}
    found = []
    for first, last in episodes(list(verdicts), gap=EPISODE_GAP):
        if last >= since:
            days = [v for d, v in sorted(verdicts.items()) if first <= d <= last]
            found.append(Finding(team, service, account, days))
    return found


def accepted_days(session: Session, series: str) -> list[date]:
    """Every day of this series' anomalies that owners marked as expected."""
    rows = session.scalars(
        select(Anomaly).where(Anomaly.series == series, Anomaly.status == "expected")
    )
    days: list[date] = []
    for row in rows:
        span = (row.last_day - row.first_day).days + 1
        days += [row.first_day + timedelta(days=n) for n in range(span)]
    return days


def matching(session: Session, finding: Finding) -> Anomaly | None:
    """The stored anomaly this episode continues (overlapping or at most EPISODE_GAP apart)."""
    rows = session.scalars(
        select(Anomaly)
        .where(
            Anomaly.series == finding.series,
            Anomaly.first_day <= finding.last_day + timedelta(days=EPISODE_GAP),
            Anomaly.last_day >= finding.first_day - timedelta(days=EPISODE_GAP),
        )
        .order_by(Anomaly.first_day.desc())
    )
    return next(iter(rows), None)


def new_record(finding: Finding, now: datetime) -> Anomaly:
    """A record for a first-seen episode (its alert key is its series and first day)."""
    peak = finding.peak
    return Anomaly(
        alert_key=f"anomaly:{finding.series}:{finding.first_day.isoformat()}"[:255],
        series=finding.series,
        team=finding.team,
        service=finding.service,
        account=finding.account,
        first_day=finding.first_day,
        last_day=finding.last_day,
        expected=peak.expected or Decimal(0),
        actual=peak.actual,
        impact=finding.impact,
        status="open",
        detected_at=now,
    )


def extend(record: Anomaly, finding: Finding) -> bool:
    """Fold a later view of the episode into the record; True when anything changed."""
    peak = finding.peak
    first = min(record.first_day, finding.first_day)
    last = max(record.last_day, finding.last_day)
    values = (first, last, peak.expected or Decimal(0), peak.actual, finding.impact)
    old = (record.first_day, record.last_day, record.expected, record.actual, record.impact)
    if all(_same(a, b) for a, b in zip(values, old, strict=True)):
        return False
    (record.first_day, record.last_day, record.expected, record.actual, record.impact) = values
    return True


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a).quantize(Decimal("0.01")) == Decimal(b).quantize(Decimal("0.01"))
    return bool(a == b)


def set_status(
    session: Session, anomaly_id: int, *, status: str, user: str, now: datetime
) -> Anomaly | None:
    """Store an owner's answer (expected / investigating) and audit it."""
    if status not in ANOMALY_STATUSES:
        raise ValueError(f"unknown anomaly status {status!r}")
    session.execute(
        update(Anomaly)
        .where(Anomaly.id == anomaly_id)
        .values(status=status, feedback_by=user, feedback_at=now)
    )
    record = session.get(Anomaly, anomaly_id)
    if record is not None:
        audit.record(
            session,
            actor=user,
            action=f"anomaly.{status}",
            subject=record.alert_key,
            series=record.series,
            first_day=record.first_day.isoformat(),
        )
    return record


def detail(
    finding: Finding, contributors: Sequence[Contributor], recommendations: Sequence[Recommendation]
) -> dict[str, Any]:
    """What the message shows beyond the record, JSON-ready (money as strings)."""
    return {
        "days": [
            {"day": v.day.isoformat(), "expected": str(v.expected), "actual": str(v.actual)}
            for v in finding.days
        ],
        "contributors": [
            {
                "usage_type": c.usage_type,
                "region": c.region,
                "account": c.account,
                "amount": str(c.amount),
                "before": str(c.before),
            }
            for c in contributors
        ],
        "recommendations": [r.text for r in recommendations],
    }
