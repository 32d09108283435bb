"""The database as a dependency: healthz proves a write, notices a replaced or deleted
SQLite file, and while the database refuses writes no AWS action starts and the clock's
jobs skip with a log line."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.remediation import service
from bot.services import Services
from bot.web import BotWsgi
from storage import audit, health
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401
from tests.test_remediation_flow import open_request


@pytest.fixture(autouse=True)
def no_deferred_events() -> Iterator[None]:
    """Deferred audit events live in the process: none carried between tests."""
    audit._deferred.clear()
    yield
    audit._deferred.clear()


def _path(services: Services) -> Path:
    found = health.sqlite_path(services.db)
    assert found is not None
    return Path(found)


@pytest.fixture
def locked(svc: Services) -> Iterator[sqlite3.Connection]:
    """Another writer holds the SQLite file's write lock."""
    other = sqlite3.connect(_path(svc), timeout=1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def _wsgi_health(services: Services) -> tuple[int, dict[str, object]]:
    from slack_bolt import App

    app = App(signing_secret="s", token="xoxb-x", token_verification_enabled=False)
    return BotWsgi(app, services).health()


def test_healthz_writes_and_is_503_with_the_reason_when_it_cannot(
    svc: Services, locked: sqlite3.Connection
) -> None:
    status, body = _wsgi_health(svc)
    assert status == 503
    assert body["database"] == "unwritable" and "locked" in str(body["reason"])


def test_healthz_ok_writes_the_probe_row(svc: Services) -> None:
    status, body = _wsgi_health(svc)
    assert status == 200 and body["database"] == "ok"
    with sqlite3.connect(_path(svc)) as raw:
        (writer,) = raw.execute("SELECT writer FROM health_probe WHERE id = 1").fetchone()
    assert str(os.getpid()) in writer


def test_a_replaced_or_deleted_sqlite_file_is_reported(svc: Services, tmp_path: Path) -> None:
    health.remember_file(svc.db)
    assert health.database_problem(svc.db) is None
    path = _path(svc)
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    os.replace(copy, path)  # a restore from backup under the running process
    status, body = _wsgi_health(svc)
    assert status == 503 and "replaced" in str(body["reason"])
    os.remove(path)
    assert "deleted" in str(health.database_problem(svc.db))


def test_no_action_starts_while_the_file_is_replaced(
    svc: Services, estate: Estate, tmp_path: Path
) -> None:
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)
    health.remember_file(svc.db)
    path = _path(svc)
    shutil.copy(path, tmp_path / "copy.db")
    os.replace(tmp_path / "copy.db", path)
    decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert decision.outcome == "unrecorded"
    assert "nothing was done" in decision.reason
    assert estate.ec2().describe_volumes(VolumeIds=[volume])["Volumes"]  # still there


def test_an_approval_while_the_database_refuses_writes_does_nothing_and_is_audited_later(
    svc: Services, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.audit_export import events
    from storage import db as storage_db

    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)
    monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_MS", 500)
    svc.db.engine.dispose()  # new connections get the short busy timeout
    locked = sqlite3.connect(_path(svc), timeout=1, isolation_level=None)
    locked.execute("BEGIN EXCLUSIVE")
    try:
        decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    finally:
        locked.execute("ROLLBACK")
        locked.close()
    assert decision.outcome == "unrecorded" and "Can't record this right now" in decision.reason
    assert audit.deferred_count() == 1
    assert health.database_problem(svc.db) is None  # writable again: deferred events land
    assert audit.deferred_count() == 0
    unrecorded = [e for e in events(svc.db) if e["status"] == "cleanup.decision_unrecorded"]
    assert len(unrecorded) == 1 and unrecorded[0]["actor"] == "U0LEAD"
    assert estate.ec2().describe_volumes(VolumeIds=[volume])["Volumes"]


def test_clock_jobs_skip_with_a_log_line_while_the_database_refuses_writes(
    svc: Services, locked: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    from jobs.clock import clock_run

    class Leading:
        def heartbeat(self) -> bool:
            return True

    caplog.set_level(logging.WARNING, logger="jobs.clock")
    assert clock_run("expire-cleanups", svc, Leading()) == "skipped"  # type: ignore[arg-type]
    assert any(
        "job expire-cleanups skipped" in r.message and "refuses writes" in r.message
        for r in caplog.records
    )
