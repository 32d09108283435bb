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

from bot.anomalies.detector import (
    DAY,
    MONTH_START,
    DayVerdict,
    Series,
    Thresholds,
    Tuning,
    episodes,
    evaluate,
)
from bot.anomalies.recommend import Contributor, Recommendation
from bot.services import Services
from storage import audit
from storage.models_alerts import ANOMALY_STATUSES, Anomaly

#: Alert days at most this many days apart are one anomaly (one message).
EPISODE_GAP = 2
#: "Not an anomaly" raises the series' threshold for that kind of deviation to this many
#: times the largest increase owners called normal (in %): like ones stay quiet, larger
#: ones still alert.
WIDEN = Decimal("1.25")


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

    @property
    def kind(self) -> str:
        """The kind of deviation: a month start's (Support, Tax, fees) or a day's."""
        return MONTH_START if all(v.day.day == 1 for v in self.days) else DAY


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
    tuning: Tuning | None = None,
) -> list[Finding]:
    """The episodes of `series` whose last alerted day is on or after `since`."""
    verdicts = evaluate(series, thresholds, accepted=accepted, tuning=tuning)
    return findings(verdicts, team=team, service=service, account=account, since=since)


def findings(
    verdicts: Sequence[DayVerdict],
    *,
    team: str | None,
    service: str,
    account: str | None,
    since: date,
) -> list[Finding]:
    """The alerted episodes among `verdicts` whose last day is on or after `since`."""
    alerted = {v.day: v for v in verdicts if v.alert}
    found = []
    for first, last in episodes(list(alerted), gap=EPISODE_GAP):
        if last >= since:
            days = [v for d, v in sorted(alerted.items()) if first <= d <= last]
            found.append(Finding(team, service, account, days))
    return found


@dataclass(frozen=True)
class Tuned:
    """What owners' answers changed for one series, and the line the next alert shows."""

    tuning: Tuning
    note: str  # "" when nothing was tuned


def tuning_for(session: Session, series: str) -> Tuned:
    """The series' tuning from its "not an anomaly" and "expected" answers."""
    rows = list(
        session.scalars(
            select(Anomaly)
            .where(Anomaly.series == series, Anomaly.status.in_(("not_anomaly", "expected")))
            .order_by(Anomaly.feedback_at)
        )
    )
    widened: dict[str, Decimal] = {}
    notes = []
    rejected = [r for r in rows if r.status == "not_anomaly"]
    for row in rejected:
        if row.expected and row.expected > 0:
            pct = (row.actual - row.expected) / row.expected * 100 * WIDEN
            widened[row.kind] = max(widened.get(row.kind, Decimal(0)), pct.quantize(CENT))
    if rejected:
        n = len(rejected)
        answers = "answer" if n == 1 else "answers"
        notes.append(f"tuned after {n} 'not an anomaly' {answers} on {_when(rejected[-1])}")
    accepted = [r for r in rows if r.status == "expected"]
    if accepted:
        notes.append(f"new level accepted ('expected') on {_when(accepted[-1])}")
    return Tuned(Tuning(min_increase_pct=widened), "; ".join(notes))


def _when(row: Anomaly) -> str:
    return (row.feedback_at or row.detected_at).date().isoformat()


CENT = Decimal("0.01")


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


def active(session: Session, series: str, *, since: date) -> list[Anomaly]:
    """The series' anomalies still active (not ended or withdrawn), not answered
    "expected" or "not an anomaly" (those are never alerted again), recent enough."""
    return list(
        session.scalars(
            select(Anomaly).where(
                Anomaly.series == series,
                Anomaly.phase == "active",
                Anomaly.status.in_(("open", "investigating")),
                Anomaly.last_day >= since,
            )
        )
    )


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
        phase="active",
        kind=finding.kind,
        announced_impact=finding.impact,
    )


def extend(record: Anomaly, finding: Finding) -> bool:
    """Take the latest view of the episode (revised data may grow or shrink it); True when
    anything changed."""
    peak = finding.peak
    first, last = finding.first_day, finding.last_day
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
    """Store an owner's answer (expected / not_anomaly / investigating) and audit it."""
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
            last_day=record.last_day.isoformat(),
            impact=str(record.impact),
        )
    return record


def answer(services: Services, anomaly_id: int, *, status: str, user: str) -> Anomaly | None:
    """An owner's click on an alert: store and audit the answer in its own transaction."""
    with services.db.session() as session:
        return set_status(session, anomaly_id, status=status, user=user, now=services.now())


@dataclass(frozen=True)
class Change:
    """What a run does to an anomaly's message beyond redrawing it."""

    phase: str  # active, ended, withdrawn
    reply: str = ""  # a thread reply to post ("" for none)


def lifecycle(
    record: Anomaly,
    *,
    verdicts: Sequence[DayVerdict],
    last_data_day: date,
    settle_days: int,
    regrowth_pct: Decimal,
    matched: bool,
    now: datetime,
) -> Change | None:
    """Move an active anomaly along: grown (thread reply), ended, or withdrawn.

    `verdicts`: the series judged on today's data; `matched`: whether today's alerts still
    contain the anomaly. An anomaly no longer supported by the data is withdrawn once its
    days are settled (older than `settle_days`), not before: Cost Explorer revises recent
    days. Returns None when nothing changes.
    """
    if record.phase != "active":
        return None
    settled = (last_data_day - record.last_day).days >= settle_days
    if not matched:
        days = {v.day: v for v in verdicts}
        span = (record.last_day - record.first_day).days + 1
        still = any(
            (v := days.get(record.first_day + timedelta(days=n))) is not None and v.alert
            for n in range(span)
        )
        if not still:
            if not settled:
                return None  # judged again when its days settle
            record.phase, record.phase_at = "withdrawn", now
            return Change("withdrawn")
    if (last_data_day - record.last_day).days > EPISODE_GAP:
        record.phase, record.phase_at = "ended", now
        return Change("ended")
    announced = record.announced_impact or Decimal(0)
    if announced > 0 and record.impact > announced * (1 + regrowth_pct / 100):
        record.announced_impact = record.impact
        return Change(
            "active",
            f"The anomaly has grown: impact now {_money(record.impact)} "
            f"(was {_money(announced)} when last announced), "
            f"{(record.last_day - record.first_day).days + 1} days so far.",
        )
    return None


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


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
                "service": c.service,
                "usage_type": c.usage_type,
                "region": c.region,
                "account": c.account,
                "amount": str(c.amount),
                "expected": str(c.expected),
            }
            for c in contributors
        ],
        "recommendations": [r.text for r in recommendations],
        "commands": [r.command for r in recommendations if r.command],
    }
