"""The outbox worker: delivers what `bot.slack.outbox` queued, once, to its own channel.

- A row is claimed (a short lease) before it is sent, so two workers (serve and clock, or
  two replicas) never send the same row at once.
- Posts carry the row's dedupe key in message metadata. A row that was tried before and has
  no ts (the process may have died after Slack accepted it) is first looked for in the
  channel's recent history, so a retry never posts a second copy.
- 429: the row waits `Retry-After` and the channel is paused as long; transient errors back
  off exponentially (2 s, 4 s, ... 5 min) up to `MAX_FAILURES` in a row; posts to one
  channel are spaced `spacing` seconds apart (Slack allows about one per second).
- A message is only ever sent to its own channel. Undeliverable (channel_not_found,
  not_in_channel, retries exhausted): the row is kept as `failed` (`finops-bot outbox`
  lists it) and default_channel is told why.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update

from bot.services import Services
from bot.slack import outbox
from bot.slack.outbound import TRANSIENT_ERRORS, Outbound, Posted, SlackFailure, outbound_for
from bot.slack.renderers import RENDERERS, Drawn, after_delivery
from storage.models_outbox import OutboxMessage

log = logging.getLogger(__name__)

MAX_FAILURES = 6
LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 300.0
#: `last_error` while a call is in flight; still there after a crash.
SENDING = "sending"


def uncertain(last_error: str) -> bool:
    """After this outcome an earlier post may have landed: look for it before posting again
    (a crash mid-call, a dropped connection, a 5xx; not a 429 or a clear refusal)."""
    if last_error == SENDING or last_error.startswith("http_5"):
        return True
    return last_error in TRANSIENT_ERRORS and last_error != "ratelimited"


def _now() -> datetime:
    return datetime.now(UTC)


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

    def posted(self, channel: str) -> None:
        """A post went to `channel` now."""
        with self._lock:
            later = time.monotonic() + self.spacing
            self._next[channel] = max(self._next.get(channel, 0.0), later)

    def pause(self, channel: str, seconds: float) -> None:
        """Slack said wait (Retry-After)."""
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), time.monotonic() + seconds)


class OutboxWorker:
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
        self.pacer = Pacer(spacing)
        self.poll_seconds = poll_seconds
        self.name = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"
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
        now = _now()
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
        now = _now()
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
        A row another worker is sending is waited for (up to `wait` seconds)."""
        found: dict[str, OutboxMessage | None] = {}
        for key in keys:
            with self.services.db.session() as session:
                row = outbox.find(session, key)
            if row is not None:
                if self._deliver(row.id, patient=True) is None:  # another worker has it
                    self._await_other(key, timeout=wait)
                with self.services.db.session() as session:
                    row = outbox.find(session, key)
            found[key] = row
        return found

    def _await_other(self, key: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.services.db.session() as session:
                row = outbox.find(session, key)
            claimed = row is not None and row.claimed_until is not None
            if not claimed or row is None or row.state != "pending":
                return
            time.sleep(0.05)

    def _claim(self, row_id: int) -> OutboxMessage | None:
        now = _now()
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
        except _Paced as paced:
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
            earlier = self.outbound.find_posted(channel, row.dedupe_key)
            if earlier is not None:
                log.info("outbox %s was already posted (ts %s)", row.dedupe_key, earlier)
                if row.revision > 1:
                    self.outbound.update(channel, earlier, message)
                return Posted(channel, earlier)
        wait = self.pacer.wait_seconds(channel)
        if wait > (self.pacer.spacing if patient else 0.02):
            raise _Paced(wait, channel)
        if wait > 0:
            time.sleep(wait)
        self._record_attempt(row, channel)
        try:
            return self.outbound.post(channel, message, dedupe_key=row.dedupe_key)
        finally:
            self.pacer.posted(channel)

    # ------------------------------------------------------------- outcomes
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
            "delivered_at": _now(),
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
            _record_alert(self.services, row, posted)
            after_delivery(self.services, row.content or {}, posted)

    def _later(
        self, row: OutboxMessage, seconds: float, error: str, *, channel: str | None = None
    ) -> None:
        with self.services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    next_attempt_at=_now() + timedelta(seconds=seconds),
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
                    message=_report(row, where, reason),
                )
        row.state, row.last_error = "failed", reason
        self.wake()


class _Paced(Exception):
    """The channel is paused for longer than the spacing: try the row later."""

    def __init__(self, seconds: float, channel: str) -> None:
        super().__init__(f"paused {seconds:.1f} s")
        self.seconds = seconds
        self.channel = channel


def _report(row: OutboxMessage, where: str, reason: str) -> dict[str, Any]:
    text = (
        f":warning: Could not deliver a message ({row.purpose}, `{row.dedupe_key}`) to "
        f"{where}: {reason}. It is kept in the outbox (`finops-bot outbox`); invite the bot "
        "to the channel or fix the channel in finops.yml."
    )
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def _record_alert(services: Services, row: OutboxMessage, posted: Posted) -> None:
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


def pending(services: Services) -> list[OutboxMessage]:
    """Rows not delivered in their latest revision (pending) and failed ones."""
    with services.db.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.state.in_(("pending", "failed")))
                .order_by(OutboxMessage.id)
            )
        )


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
