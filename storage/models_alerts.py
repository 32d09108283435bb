"""Clock leases, every alert the bot posted, and anomalies with their owners' feedback."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

#: What owners can answer on an anomaly.
ANOMALY_STATUSES = ("open", "expected", "investigating", "not_anomaly")
#: Where an anomaly is in its life: still growing or lasting, over, or withdrawn because
#: the data it was raised on was revised.
ANOMALY_PHASES = ("active", "ended", "withdrawn")


class JobLock(Base):
    """A lease: `owner` holds `name` until `expires_at` unless it renews it."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostedAlert(Base):
    """One alert message: claimed by its dedupe key before it is posted, at most once."""

    __tablename__ = "posted_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # anomaly, budget, digest
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None while posting
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Anomaly(Base):
    """A cost anomaly of one series (team x service x account), from its first alerted day."""

    __tablename__ = "anomalies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(String(255), unique=True)  # = PostedAlert.dedupe_key
    series: Mapped[str] = mapped_column(String(255), index=True)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service: Mapped[str] = mapped_column(String(128))
    account: Mapped[str | None] = mapped_column(String(32), nullable=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    expected: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # on the peak day
    actual: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    impact: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # over every alerted day
    status: Mapped[str] = mapped_column(String(16), default="open")
    feedback_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    phase: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    phase_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The impact the last post or thread reply announced (a reply when it grows past it).
    announced_impact: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    #: The kind of deviation: "day" or "month start" (feedback tunes each kind apart).
    kind: Mapped[str] = mapped_column(String(16), default="day", server_default="day")
