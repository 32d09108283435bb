"""Pacing of posts to Slack: per-channel spacing, Retry-After pauses, and what a failed
attempt leaves unknown (whether Slack took the message after all)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from bot.services import Services
from bot.slack.outbound import TRANSIENT_ERRORS, Posted
from storage.models_outbox import OutboxMessage

#: `last_error` while a call is in flight; still there after a crash.
SENDING = "sending"


def now_utc() -> datetime:
    """The real time (Retry-After and backoff are real seconds, whatever the domain clock)."""
    return datetime.now(UTC)


def uncertain(last_error: str) -> bool:
    """After this outcome an earlier post may have landed: look for it before posting again
    (a crash mid-call, a dropped connection, a 5xx; not a 429 or a clear refusal)."""
    if last_error == SENDING or last_error.startswith("http_5"):
        return True
    return last_error in TRANSIENT_ERRORS and last_error != "ratelimited"


class Pacer:
    """Per-channel pacing: at most one post per `spacing` seconds, and 429 pauses."""

    def __init__(self, spacing: float) -> None:
        self.spacing = spacing
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, channel: str) -> float:
        """How long until `channel` may be posted to."""
        with self._lock:
            return max(0.0, self._next.get(channel, 0.0) - time.monotonic())

    def reserve(self, channel: str) -> float:
        """Take `channel`'s next slot now (0.0), or say how many seconds until it is free."""
        with self._lock:
            now = time.monotonic()
            wait = self._next.get(channel, 0.0) - now
            if wait > 0:
                return wait
            self._next[channel] = now + self.spacing
            return 0.0

    def posted(self, channel: str) -> None:
        """A post went to `channel` now."""
        with self._lock:
            later = time.monotonic() + self.spacing
            self._next[channel] = max(self._next.get(channel, 0.0), later)

    def pause(self, channel: str, seconds: float) -> None:
        """Slack said wait (Retry-After)."""
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), time.monotonic() + seconds)


class Paced(Exception):
    """The channel is paused for longer than the spacing: try the row later."""

    def __init__(self, seconds: float, channel: str) -> None:
        super().__init__(f"paused {seconds:.1f} s")
        self.seconds = seconds
        self.channel = channel


def failure_report(row: OutboxMessage, where: str, reason: str) -> dict[str, Any]:
    text = (
        f":warning: Could not deliver a message ({row.purpose}, `{row.dedupe_key}`) to "
        f"{where}: {reason}. It is kept in the outbox (`finops-bot outbox`); invite the bot "
        "to the channel or fix the channel in finops.yml."
    )
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def record_alert(services: Services, row: OutboxMessage, posted: Posted) -> None:
    """An alert's PostedAlert learns its ts and channel (jobs update it by them)."""
    alert_key = (row.content or {}).get("alert_key")
    if not alert_key:
        return
    from storage.models_alerts import PostedAlert

    with services.db.session() as session:
        session.execute(
            update(PostedAlert)
            .where(PostedAlert.dedupe_key == alert_key)
            .values(ts=posted.ts, channel=posted.channel)
            .execution_options(synchronize_session=False)
        )
