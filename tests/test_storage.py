"""Storage on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, select, text

from storage.audit import recent, record
from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import AuditEvent, JobRun


def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    db = Database(database_url)
    assert current_revision(db.engine) is None
    upgrade(db.engine)
    upgrade(db.engine)  # a second start is a no-op
    head = head_revision(db.engine)
    assert head is not None and head >= "0001"
    assert current_revision(db.engine) == head
    tables = set(inspect(db.engine).get_table_names())
    assert {"audit_events", "job_runs", "alembic_version"} <= tables
    db.dispose()


def test_audit_round_trip_keeps_detail_and_time(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    with db.session() as session:
        record(
            session,
            actor="U0LEAD",
            action="cleanup.approved",
            subject="vol-1",
            saving="12.34",
            region="us-east-1",
        )
        record(session, actor="bot", action="cleanup.executed", subject="vol-1")
        record(session, actor="bot", action="cleanup.executed", subject="vol-2")
    with db.session() as session:
        events = recent(session, subject="vol-1")
        assert [e.action for e in events] == ["cleanup.executed", "cleanup.approved"]
        assert events[1].detail == {"saving": "12.34", "region": "us-east-1"}
        assert events[1].at.tzinfo is not None or database_url.startswith("sqlite")
    db.dispose()


def test_failed_session_rolls_back(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    try:
        with db.session() as session:
            record(session, actor="bot", action="x", subject="rolled-back")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    db.dispose()


def test_concurrent_writers_all_land(database_url: str) -> None:
    """The web and clock processes write at once: no 'database is locked' errors."""
    db = Database(database_url)
    upgrade(db.engine)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(20):
                with db.session() as session:
                    session.add(
                        JobRun(
                            job=f"w{worker}",
                            trigger="clock",
                            status="ok",
                            detail=str(i),
                            started_at=datetime.now(UTC),
                        )
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 80
    db.dispose()


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.ping() is True
    db.dispose()


def test_ping_reports_an_unreachable_database() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert db.ping() is False


def test_job_run_times_survive_round_trip(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    started = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with db.session() as session:
        session.add(
            JobRun(
                job="digest",
                trigger="manual",
                status="ok",
                detail="",
                started_at=started,
                finished_at=started + timedelta(seconds=3),
            )
        )
    with db.session() as session:
        run = session.scalars(select(JobRun)).one()
        assert run.started_at.replace(tzinfo=UTC) == started
        assert run.finished_at is not None
    db.dispose()
