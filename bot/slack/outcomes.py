"""What a delivery attempt leaves in the outbox: delivered (with its ts), later (Retry-After,
backoff), or failed (kept, and reported to default_channel)."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import case, update

from bot.services import Services
from bot.slack.outbound import Posted, SlackFailure
from bot.slack.pacing import SENDING, Pacer, failure_report, now_utc, record_alert
from bot.slack.renderers import after_delivery
from storage import outbox
from storage.models_outbox import OutboxMessage

log = logging.getLogger(__name__)

MAX_FAILURES = 6
MAX_BACKOFF_SECONDS = 300.0


class Outcomes:
    """Recording attempts and their outcomes (the worker's half that writes rows)."""

    services: Services
    pacer: Pacer

    def wake(self) -> None:
        """Look at the outbox again soon (the worker overrides this)."""

    def _record_attempt(self, row: OutboxMessage, channel: str) -> None:
        with self.services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(channel=channel, attempts=OutboxMessage.attempts + 1, last_error=SENDING)
                .execution_options(synchronize_session=False)
            )
        row.channel = channel

    def _done(self, row: OutboxMessage, posted: Posted | None, revision: int) -> None:
        values: dict[str, Any] = {
            "delivered_revision": revision,
            "state": case((OutboxMessage.revision == revision, "delivered"), else_="pending"),
            "claimed_until": None,
            "failures": 0,
            "last_error": "",
            "delivered_at": now_utc(),
        }
        if posted is not None:
            values.update(ts=posted.ts, channel=posted.channel)
        with self.services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        if posted is not None:
            record_alert(self.services, row, posted)
            after_delivery(self.services, row.content or {}, posted)

    def _later(
        self, row: OutboxMessage, seconds: float, error: str, *, channel: str | None = None
    ) -> None:
        with self.services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    next_attempt_at=now_utc() + timedelta(seconds=seconds),
                    claimed_until=None,
                    last_error=error,
                    **({"channel": channel} if channel else {}),
                )
                .execution_options(synchronize_session=False)
            )
        row.last_error = error

    def _failure(self, row: OutboxMessage, exc: SlackFailure, channel: str | None) -> None:
        if exc.rate_limited:
            seconds = exc.retry_after or 1.0
            if channel:
                self.pacer.pause(channel, seconds)
            log.info("outbox %s: rate limited, retry in %.0f s", row.dedupe_key, seconds)
            self._later(row, seconds, f"rate limited by Slack (Retry-After {seconds:g} s)")
            return
        failures = row.failures + 1
        if exc.transient and failures < MAX_FAILURES:
            backoff = min(MAX_BACKOFF_SECONDS, 2.0**failures) * random.uniform(0.8, 1.2)
            log.warning("outbox %s: %s, retry in %.0f s", row.dedupe_key, exc, backoff)
            with self.services.db.session() as session:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(failures=failures)
                    .execution_options(synchronize_session=False)
                )
            row.failures = failures
            self._later(row, backoff, exc.error)
            return
        reason = exc.error if not exc.transient else f"{exc.error} ({failures} attempts)"
        self._failed(row, reason, channel)

    def _failed(self, row: OutboxMessage, reason: str, channel: str | None) -> None:
        log.warning("outbox %s undeliverable to %s: %s", row.dedupe_key, channel, reason)
        with self.services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(state="failed", claimed_until=None, last_error=reason)
                .execution_options(synchronize_session=False)
            )
            default = self.services.config.default_channel
            if row.purpose != "report" and channel != default:
                where = f"<#{channel}>" if channel and channel[:1] in "CG" else f"`{channel}`"
                outbox.message(
                    session,
                    key=f"report:{row.id}:{row.revision}",
                    purpose="report",
                    channel=default,
                    message=failure_report(row, where, reason),
                )
        row.state, row.last_error = "failed", reason
        self.wake()
