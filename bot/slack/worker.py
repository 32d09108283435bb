"""The outbox worker: delivers what `storage.outbox` queued, once, to its own channel.

Rows are claimed with a short lease (several workers share the table); posts carry their
dedupe key in metadata and an uncertain earlier try is looked for before posting again;
429s wait Retry-After, transient errors back off, posts to a channel are spaced; the
undeliverable are kept as `failed` and reported to default_channel. See README "Delivering
to Slack: the outbox".
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.services import Services
from bot.slack.outbound import Outbound, Posted, SlackFailure, outbound_for
from bot.slack.outcomes import MAX_FAILURES, Outcomes
from bot.slack.pacing import (
    Paced,
    Pacer,
    now_utc,
    uncertain,
)
from bot.slack.renderers import RENDERERS, Drawn
from bot.slack.shared_pacing import SharedPacer
from storage import outbox
from storage.models_outbox import OutboxMessage
from storage.outbox import pending

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


class OutboxWorker(Outcomes):
    """Delivers due outbox rows; `deliver_keys` for a handler that wants it done now."""

    def __init__(
        self,
        services: Services,
        outbound: Outbound | None = None,
        *,
        spacing: float = 1.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.services = services
        self._outbound = outbound
        self.name = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"
        self.pacer: Pacer = SharedPacer(services.db, spacing, owner=self.name)
        self.poll_seconds = poll_seconds
        self._paused_for: float | None = None  # the shortest channel pause seen in a pass
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def outbound(self) -> Outbound:
        """The Outbound given, else the services' one (looked up each time: a job may
        have handed the services another client)."""
        return self._outbound or outbound_for(self.services)

    # ------------------------------------------------------------- running
    def start(self) -> OutboxWorker:
        """Deliver in a daemon thread until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()
            log.info("outbox worker %s started", self.name)
        return self

    def stop(self) -> None:
        """Stop the thread (after its current delivery)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Look at the outbox now instead of at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
                pause = self._until_next_due()
            except Exception:
                log.exception("outbox pass failed")
                pause = self.poll_seconds
            self._wake.clear()
            self._wake.wait(pause)

    def _until_next_due(self) -> float:
        """Seconds until a pending row is due or a paused channel opens (at most the poll
        interval)."""
        now = now_utc()
        with self.services.db.session() as session:
            due = session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.state == "pending", OutboxMessage.next_attempt_at > now
                )
            )
        pause = self.poll_seconds
        if due is not None:
            due = due if due.tzinfo else due.replace(tzinfo=UTC)
            pause = min(pause, (due - now).total_seconds())
        if self._paused_for is not None:
            pause = min(pause, self._paused_for)
        return max(0.02, pause)

    def drain(self, *, timeout: float = 30.0) -> int:
        """Deliver until nothing is due (or `timeout`); how many rows are still pending."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.deliver_due()
            if not any(row.state == "pending" for row in pending(self.services)):
                break
            pause = self._until_next_due()
            if time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
        return len(pending(self.services))

    # ------------------------------------------------------------- delivering
    def deliver_due(self, *, limit: int = 500) -> int:
        """One pass over the rows due now; how many were attempted. Rows for a channel
        that is paused (spacing, Retry-After) are left for later without touching them."""
        now = now_utc()
        with self.services.db.session() as session:
            due = list(
                session.execute(
                    select(OutboxMessage.id, OutboxMessage.channel)
                    .where(
                        OutboxMessage.state == "pending",
                        OutboxMessage.next_attempt_at <= now,
                        or_(
                            OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now
                        ),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )
        tried = 0
        self._paused_for = None
        for row_id, channel in due:
            if self._stop.is_set():
                break
            wait = self.pacer.wait_seconds(channel) if channel else 0.0
            if wait > 0.02:  # its channel is paused: other channels go first
                self._paused_for = min(self._paused_for or wait, wait)
                continue
            tried += self._deliver(row_id, patient=False) is not None
        return tried

    def deliver_keys(
        self, keys: list[str], *, wait: float = 3.0
    ) -> dict[str, OutboxMessage | None]:
        """Try the rows under `keys` once now (in order); each row as it is afterwards.
        A row another worker is sending is waited for (up to `wait` seconds), then tried
        again: what that worker sent may be an older revision than the one asked for."""
        found: dict[str, OutboxMessage | None] = {}
        for key in keys:
            with self.services.db.session() as session:
                row = outbox.find(session, key)
            if row is not None:
                if self._deliver(row.id, patient=True) is None:  # another worker has it
                    self._await_other(key, timeout=wait)
                    self._deliver(row.id, patient=True)  # still pending: ours now, if free
                with self.services.db.session() as session:
                    row = outbox.find(session, key)
            found[key] = row
        return found

    def _await_other(self, key: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.services.db.session() as session:
                row = outbox.find(session, key)
            if row is None or row.state != "pending" or row.claimed_until is None:
                return
            until = row.claimed_until
            if (until if until.tzinfo else until.replace(tzinfo=UTC)) < now_utc():
                return  # a lapsed lease (its worker died): nobody is sending it
            time.sleep(0.05)

    def _claim(self, row_id: int) -> OutboxMessage | None:
        now = now_utc()
        with self.services.db.session() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row_id,
                    OutboxMessage.state == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .values(claimed_by=self.name, claimed_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(OutboxMessage, row_id)

    def _deliver(self, row_id: int, *, patient: bool) -> OutboxMessage | None:
        """Claim and send one row; None when it was not ours to send now. `patient`: wait
        out the channel's spacing (a handler answering a click) instead of deferring the
        row so other channels go first (the worker's passes)."""
        row = self._claim(row_id)
        if row is None:
            return None
        try:
            drawn = self._draw(row)
        except SlackFailure as exc:  # a lookup the message needs failed: try again later
            self._failure(row, exc, row.channel)
            return row
        except Exception as exc:
            log.warning("outbox %s could not be drawn", row.dedupe_key, exc_info=True)
            self._failed(row, f"could not render the message: {exc}", row.channel)
            return row
        if drawn is None:  # what it was about is gone: nothing to say
            self._done(row, None, row.revision)
            return row
        try:
            channel = self._channel(drawn.channel)
            posted = self._send(row, channel, drawn.message, patient=patient)
        except SlackFailure as exc:
            self._failure(row, exc, row.channel or drawn.channel)
            return row
        except Paced as paced:
            self._later(row, paced.seconds, row.last_error, channel=paced.channel)
            return row
        self._done(row, posted, row.revision)
        return row

    def _draw(self, row: OutboxMessage) -> Drawn | None:
        content = row.content or {}
        name = content.get("render")
        if name is None:
            return Drawn(str(row.channel), dict(content["message"]))
        return RENDERERS[name](self.services, self.outbound, content, row.channel)

    def _channel(self, channel: str) -> str:
        """A user id becomes the id of the bot's DM with them (history needs the DM id)."""
        if channel[:1] in ("U", "W"):
            return self.outbound.open_dm(channel)
        return channel

    def _send(
        self, row: OutboxMessage, channel: str, message: dict[str, Any], *, patient: bool
    ) -> Posted:
        if row.ts:
            self._record_attempt(row, channel)
            self.outbound.update(channel, row.ts, message)
            return Posted(channel, row.ts)
        if uncertain(row.last_error):  # an earlier try may have reached Slack
            earlier = self._find_earlier(channel, row.dedupe_key)
            if earlier is not None:
                log.info("outbox %s was already posted (ts %s)", row.dedupe_key, earlier)
                if row.revision > 1:
                    self.outbound.update(channel, earlier, message)
                return Posted(channel, earlier)
        wait = self.pacer.reserve(channel)  # shared by every replica
        while wait > 0:
            if wait > (self.pacer.spacing if patient else 0.02):
                raise Paced(wait, channel)
            time.sleep(wait)
            wait = self.pacer.reserve(channel)
        self._record_attempt(row, channel)
        try:
            return self.outbound.post(channel, message, dedupe_key=row.dedupe_key)
        finally:
            self.pacer.posted(channel)

    def _find_earlier(self, channel: str, key: str) -> str | None:
        """The ts of an earlier post of `key` in `channel`. Slack unable to say for now
        (429, outage): SlackFailure, try later. Unable to say at all (say the app lacks
        channels:history): None, so the message is posted rather than lost."""
        try:
            return self.outbound.find_posted(channel, key)
        except SlackFailure as exc:
            if exc.transient:
                raise
            log.warning("cannot look for %s in %s (%s): posting it", key, channel, exc.error)
            return None


__all__ = ["MAX_FAILURES", "OutboxWorker", "pending", "start_worker", "worker_for"]

_GUARD = threading.Lock()


def worker_for(services: Services) -> OutboxWorker:
    """The services' outbox worker (not started: `start()` runs it in a thread)."""
    with _GUARD:
        found: OutboxWorker | None = services.__dict__.get("_outbox_worker")
        if found is None:
            found = OutboxWorker(services)
            services.__dict__["_outbox_worker"] = found
        return found


def start_worker(services: Services) -> OutboxWorker | None:
    """Start the services' outbox worker thread (None without a bot token: nothing to send)."""
    if services.settings.slack_bot_token is None:
        return None
    return worker_for(services).start()
