"""Per-channel pacing shared by every replica: one post per channel per `spacing` seconds
across processes, not per process.

Each channel's next free moment is a row `pace:<channel>` in `job_locks` (its
`expires_at`). Taking a slot is one conditional UPDATE that only one replica can win;
a Retry-After pause moves the moment later for everyone. What a replica learns is kept
in memory too, so a pass over the queue skips a paused channel without asking the
database. Without a database answer the local pacing still applies.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.slack.pacing import Pacer
from storage.db import Database
from storage.models_alerts import JobLock

log = logging.getLogger(__name__)

PREFIX = "pace:"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SharedPacer(Pacer):
    """`Pacer` whose slots and pauses are shared through the database."""

    def __init__(self, db: Database, spacing: float, *, owner: str) -> None:
        super().__init__(spacing)
        self._db, self._owner = db, owner

    def reserve(self, channel: str) -> float:
        """Take `channel`'s next slot now (0.0), or say how many seconds until it is free."""
        local = self.wait_seconds(channel)
        if local > 0:
            return local
        try:
            wait = self._reserve_shared(channel, self.spacing)
        except SQLAlchemyError:
            log.warning("could not share the pacing of %s; pacing locally", channel)
            return super().reserve(channel)
        if wait > 0:
            self._learn(channel, wait)
        else:
            Pacer.posted(self, channel)  # locally too: no database read for the next pass
        return wait

    def posted(self, channel: str) -> None:
        """A post to `channel` just finished: the next one waits `spacing` from now, for
        every replica (a slow post does not shorten the gap)."""
        super().posted(channel)
        try:
            self._push_back(channel, self.spacing)
        except SQLAlchemyError:
            log.warning("could not share the pacing of %s", channel)

    def pause(self, channel: str, seconds: float) -> None:
        """Slack said wait: every replica waits."""
        super().pause(channel, seconds)
        try:
            self._push_back(channel, seconds)
        except SQLAlchemyError:
            log.warning("could not share a Retry-After pause of %s", channel)

    # ----------------------------------------------------------------- internals
    def _learn(self, channel: str, wait: float) -> None:
        with self._lock:
            later = time.monotonic() + wait
            self._next[channel] = max(self._next.get(channel, 0.0), later)

    def _reserve_shared(self, channel: str, seconds: float) -> float:
        name = PREFIX + channel[: 64 - len(PREFIX)]
        for _ in range(3):  # free by the time it is read again: try to take it once more
            now = datetime.now(UTC)
            until = now + timedelta(seconds=seconds)
            with self._db.session() as session:
                taken = session.execute(
                    update(JobLock)
                    .where(JobLock.name == name, JobLock.expires_at <= now)
                    .values(owner=self._owner, acquired_at=now, expires_at=until)
                )
                if getattr(taken, "rowcount", 0):
                    return 0.0
                row = session.get(JobLock, name)
                free_at = None if row is None else _utc(row.expires_at)
            if free_at is None:
                try:
                    with self._db.session() as session:
                        session.add(
                            JobLock(name=name, owner=self._owner, acquired_at=now, expires_at=until)
                        )
                    return 0.0
                except IntegrityError:  # another replica took the first slot just now
                    continue
            wait = (free_at - datetime.now(UTC)).total_seconds()  # now, not before the read
            if wait > 0:
                return wait
        return 0.0

    def _push_back(self, channel: str, seconds: float) -> None:
        name = PREFIX + channel[: 64 - len(PREFIX)]
        now = datetime.now(UTC)
        until = now + timedelta(seconds=seconds)
        with self._db.session() as session:
            moved = session.execute(
                update(JobLock)
                .where(JobLock.name == name, JobLock.expires_at < until)
                .values(owner=self._owner, expires_at=until)
            )
            if getattr(moved, "rowcount", 0) or session.get(JobLock, name) is not None:
                return
        try:
            with self._db.session() as session:
                session.add(
                    JobLock(name=name, owner=self._owner, acquired_at=now, expires_at=until)
                )
        except IntegrityError:
            self._push_back(channel, seconds)
