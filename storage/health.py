"""Is the database usable as a dependency: does it take a write now, and is the SQLite
file still the one the process opened?

`/healthz` reports both (503 with the reason); the bot starts no AWS action and the clock
runs no job while either fails. Writing is proved by a tiny committed UPDATE of the one
row of `health_probe` (on SQLite with a short busy timeout, so a locked database answers
quickly). A SQLite file deleted or replaced under the running process is found by its
inode: the process would otherwise go on writing into a file nobody will ever read.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import audit
from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database

log = logging.getLogger(__name__)

#: How long the write probe waits for a SQLite write lock before calling it unwritable.
PROBE_BUSY_TIMEOUT_MS = 1500
_WRITER = f"{socket.gethostname()[:80]}:{os.getpid()}"
_files: dict[str, tuple[int, int]] = {}
_files_lock = threading.Lock()


def sqlite_path(db: Database) -> str | None:
    """The SQLite file behind `db` (None for PostgreSQL or an in-memory database)."""
    if db.engine.dialect.name != "sqlite":
        return None
    path = db.engine.url.database
    return path if path and path != ":memory:" else None


def remember_file(db: Database) -> None:
    """Note the SQLite file's identity now (at start), to notice it being replaced."""
    path = sqlite_path(db)
    if path is None:
        return
    try:
        info = os.stat(path)
    except OSError:
        return
    with _files_lock:
        _files.setdefault(db.url, (info.st_dev, info.st_ino))


def file_problem(db: Database) -> str | None:
    """Why the SQLite file is not the one this process opened (None when it is)."""
    path = sqlite_path(db)
    if path is None:
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return f"the database file {path} was deleted under the running process"
    except OSError as exc:
        return f"the database file {path} cannot be read: {exc}"
    with _files_lock:
        seen = _files.setdefault(db.url, (info.st_dev, info.st_ino))
    if seen != (info.st_dev, info.st_ino):
        return (
            f"the database file {path} was replaced under the running process "
            f"(inode {seen[1]} at start, {info.st_ino} now): restart the bot"
        )
    return None


def write_problem(db: Database) -> str | None:
    """Why the database refuses a tiny committed write now (None when it takes it)."""
    sqlite = db.engine.dialect.name == "sqlite"
    now = datetime.now(UTC)
    try:
        with db.engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={PROBE_BUSY_TIMEOUT_MS}")
            try:
                changed = connection.execute(
                    text("UPDATE health_probe SET at = :at, writer = :w WHERE id = 1"),
                    {"at": now, "w": _WRITER},
                ).rowcount
                if not changed:
                    try:
                        connection.execute(
                            text("INSERT INTO health_probe (id, at, writer) VALUES (1, :at, :w)"),
                            {"at": now, "w": _WRITER},
                        )
                    except IntegrityError:  # another process wrote it first: fine
                        connection.rollback()
                        return None
                connection.commit()
            finally:
                if sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        return f"the database refuses writes: {type(reason).__name__}: {reason}"
    return None


def database_problem(db: Database) -> str | None:
    """Why the bot must not act now (file replaced, or no write possible), else None.
    When the database takes writes again, audit events kept meanwhile are written."""
    problem = file_problem(db) or write_problem(db)
    if problem is None and audit.deferred_count():
        try:
            audit.flush_deferred(db)
        except Exception:
            log.warning("deferred audit events not written yet", exc_info=True)
    return problem
