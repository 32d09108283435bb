"""Leases in the database: one holder at a time for a name, across processes and hosts.

A lease is a row in `job_locks` (name, owner, expires_at). Taking it is an INSERT, or an
UPDATE that only matches when the lease expired or is already ours; renewing is an UPDATE
that only matches our own row. Each is one atomic statement, on SQLite as on PostgreSQL,
so two clocks racing for the same lease cannot both win. A holder that dies stops
renewing and its lease lapses after `ttl`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models_alerts import JobLock

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=5)


class LeaseBusy(Exception):
    """Someone else holds the lease."""

    def __init__(self, name: str, holder: str | None) -> None:
        super().__init__(f"{name} is held by {holder or 'another process'}")
        self.holder = holder


def new_owner_id() -> str:
    """Who we are, for humans reading `job_locks`: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The lease `name` as seen by `owner`."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        owner: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        now: Callable[[], datetime],
    ) -> None:
        self.db, self.name, self.ttl, self.now = db, name, ttl, now
        self.owner = owner or new_owner_id()

    def acquire(self) -> bool:
        """Take (or renew) the lease; False when someone else holds an unexpired one."""
        moment = self.now()
        try:
            with self.db.session() as session:
                session.add(
                    JobLock(
                        name=self.name,
                        owner=self.owner,
                        acquired_at=moment,
                        expires_at=moment + self.ttl,
                    )
                )
            return True
        except IntegrityError:
            pass
        with self.db.session() as session:
            result = session.execute(
                update(JobLock)
                .where(
                    JobLock.name == self.name,
                    (JobLock.owner == self.owner) | (JobLock.expires_at < moment),
                )
                .values(owner=self.owner, acquired_at=moment, expires_at=moment + self.ttl)
            )
            return _rowcount(result) == 1

    def renew(self) -> bool:
        """Extend our lease; False when it lapsed and someone else took it."""
        moment = self.now()
        with self.db.session() as session:
            result = session.execute(
                update(JobLock)
                .where(JobLock.name == self.name, JobLock.owner == self.owner)
                .values(expires_at=moment + self.ttl)
            )
            return _rowcount(result) == 1

    def release(self) -> None:
        """Give the lease up (only ours)."""
        with self.db.session() as session:
            session.execute(
                delete(JobLock).where(JobLock.name == self.name, JobLock.owner == self.owner)
            )

    def holder(self) -> str | None:
        """The current holder's owner id, None when free or expired."""
        with self.db.session() as session:
            row = session.scalar(select(JobLock).where(JobLock.name == self.name))
            if row is None or _aware(row.expires_at) < self.now():
                return None
            return row.owner

    @contextmanager
    def held(self, *, renew_every: float | None = None) -> Iterator[Lease]:
        """Hold the lease for a block (LeaseBusy if taken), renewing it in a thread."""
        if not self.acquire():
            raise LeaseBusy(self.name, self.holder())
        stop = threading.Event()
        interval = renew_every or self.ttl.total_seconds() / 3
        keeper = threading.Thread(
            target=self._keep, args=(stop, interval), name=f"lease-{self.name}", daemon=True
        )
        keeper.start()
        try:
            yield self
        finally:
            stop.set()
            keeper.join()
            self.release()

    def _keep(self, stop: threading.Event, interval: float) -> None:
        while not stop.wait(interval):
            try:
                if not self.renew():
                    log.warning("lease %s was lost by %s", self.name, self.owner)
                    return
            except Exception:
                log.exception("could not renew lease %s", self.name)


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
