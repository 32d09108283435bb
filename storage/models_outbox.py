"""The outbox: every Slack message that matters, written with the state change that needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

#: pending: not (yet) delivered in its latest revision; delivered; failed: given up on.
OUTBOX_STATES = ("pending", "delivered", "failed")


class OutboxMessage(Base):
    """One message for one channel (or user), delivered by the outbox worker.

    `content` is either a literal message (`{"message": {...}}`) or what to render at
    delivery time (`{"render": "request-approval", "request_id": 7}`), so a redraw always
    shows the latest state. A change bumps `revision`; the worker delivers until
    `delivered_revision == revision` (several changes in a row coalesce into one update).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    purpose: Mapped[str] = mapped_column(String(32), index=True)  # approval, alert, digest, dm
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: resolved later
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    delivered_revision: Mapped[int] = mapped_column(Integer, default=0)
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls made, ever
    failures: Mapped[int] = mapped_column(Integer, default=0)  # transient ones in a row
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
