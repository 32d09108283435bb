"""Slack retries (`X-Slack-Retry-Num`) of a request already being answered are ignored.

A retry repeats the original body byte for byte, so the body's fingerprint names the
request. Every first delivery is remembered in memory at once and in the database shortly
after (a background thread, off the ack path; the deliveries that arrived meanwhile are
written together, in one transaction, so a burst costs one commit, not one each), as a row
in `job_locks` named `slack:<fingerprint>` that expires after an hour. A retry claims the
same name: in memory first, then with one INSERT that only one replica can win. A retry
whose original was never seen (it was lost before reaching any replica) wins the claim
and is answered.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from storage.db import Database
from storage.models_alerts import JobLock

log = logging.getLogger(__name__)

PREFIX = "slack:"
KEEP = timedelta(hours=1)
MEMORY = 20_000
PURGE_EVERY = 500
BATCH = 100  # first deliveries written in one transaction at most


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Redeliveries:
    """Remembers the requests seen; tells whether a retry's original is being answered."""

    def __init__(
        self, db: Database, *, owner: str | None = None, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self._db, self._now = db, now
        self._owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: queue.Queue[str] = queue.Queue()
        self._writes = 0
        self._markers: list[threading.Event] = []
        self._thread = threading.Thread(target=self._record_loop, name="redelivery", daemon=True)
        self._thread.start()

    def first_delivery(self, key: str) -> None:
        """An original request (no retry header): remember it here now, in the DB soon."""
        if self._remember(key):
            self._pending.put(key)

    def is_duplicate(self, key: str) -> bool:
        """For a retry: True when the original was seen here or by another replica."""
        if not self._remember(key):
            return True
        return not self._claim(key, quiet=False)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every remembered request is in the database (tests)."""
        done = threading.Event()
        self._markers.append(done)
        self._pending.put("")  # a marker: set once everything before it is written
        done.wait(timeout)

    # ----------------------------------------------------------------- internals
    def _remember(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            while len(self._seen) > MEMORY:
                self._seen.popitem(last=False)
            return True

    def _claim(self, key: str, *, quiet: bool) -> bool:
        now = self._now()
        row = JobLock(name=PREFIX + key, owner=self._owner, acquired_at=now, expires_at=now + KEEP)
        try:
            with self._db.session() as session:
                session.add(row)
        except IntegrityError:
            return False
        except SQLAlchemyError:
            if not quiet:
                log.warning("could not check a Slack retry in the database; answering it")
            return True
        return True

    def _record_loop(self) -> None:
        while True:
            keys = [self._pending.get()]
            while len(keys) < BATCH and not self._pending.empty():
                keys.append(self._pending.get_nowait())
            try:
                self._record([key for key in keys if key])
            except Exception:  # pragma: no cover - never let the recorder die
                log.warning("could not record Slack deliveries", exc_info=True)
            if "" in keys:  # a flush marker: everything before it is written now
                while self._markers:
                    self._markers.pop().set()

    def _record(self, keys: list[str]) -> None:
        """Claim first deliveries in one statement; rows another replica (a retry that
        reached it first) already holds are left as they are."""
        if not keys:
            return
        now = self._now()
        rows = [
            {
                "name": PREFIX + key,
                "owner": self._owner,
                "acquired_at": now,
                "expires_at": now + KEEP,
            }
            for key in dict.fromkeys(keys)
        ]
        dialect = self._db.engine.dialect.name
        if dialect == "sqlite":
            statement: Any = sqlite.insert(JobLock).on_conflict_do_nothing()
        elif dialect == "postgresql":
            statement = postgresql.insert(JobLock).on_conflict_do_nothing()
        else:  # pragma: no cover - the two supported databases are above
            for key in keys:
                self._claim(key, quiet=True)
            return
        try:
            with self._db.engine.begin() as connection:
                connection.execute(statement, rows)
        except SQLAlchemyError:
            log.warning("could not record %d Slack deliveries", len(rows), exc_info=True)
            return
        before = self._writes
        self._writes += len(rows)
        if before // PURGE_EVERY != self._writes // PURGE_EVERY or before == 0:
            self._purge()

    def _purge(self) -> None:
        with self._db.session() as session:
            session.execute(
                delete(JobLock).where(
                    JobLock.name.like(PREFIX + "%"), JobLock.expires_at < self._now()
                )
            )
