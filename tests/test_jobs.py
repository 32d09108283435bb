"""Jobs: registry, one-off runs recorded in the database, the clock's schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services import Services
from jobs.clock import build_scheduler
from jobs.registry import JOBS, JobSpec, scheduled
from jobs.runner import UnknownJob, run_job
from storage.models import JobRun


def test_run_job_records_success_and_prunes_old_runs(services: Services) -> None:
    old = datetime.now(UTC) - timedelta(days=120)
    with services.db.session() as session:
        session.add(JobRun(job="x", trigger="clock", status="ok", detail="", started_at=old))
    run = run_job("housekeeping", services)
    assert run.status == "ok"
    assert run.detail == "removed 1 job runs older than 90 days"
    with services.db.session() as session:
        runs = session.scalars(select(JobRun)).all()
        assert [(r.job, r.trigger, r.status) for r in runs] == [("housekeeping", "manual", "ok")]
        assert runs[0].finished_at is not None


def test_a_failing_job_is_recorded_not_raised(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(_services: Services) -> str:
        raise RuntimeError("AWS said no")

    monkeypatch.setitem(
        JOBS, "explode", JobSpec("explode", explode, "boom", "interval", {"hours": 1})
    )
    run = run_job("explode", services)
    assert run.status == "failed"
    assert run.detail == "RuntimeError: AWS said no"


def test_unknown_job_lists_the_real_ones(services: Services) -> None:
    expected = "Jobs: anomalies, budgets, digest, expire-cleanups, housekeeping"
    with pytest.raises(UnknownJob, match=expected):
        run_job("nope", services)


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        scheduled("housekeeping", trigger="interval", hours=1)(lambda s: None)


def test_clock_schedules_every_job_without_overlap(services: Services) -> None:
    scheduler = build_scheduler(services)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert "housekeeping" in jobs
    job = jobs["housekeeping"]
    assert job.coalesce is True
    assert job.max_instances == 1
    assert str(job.trigger).startswith("cron[hour='3', minute='17'")
