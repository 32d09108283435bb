"""Housekeeping: keep the job history from growing without bound."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.services import Services
from jobs.registry import scheduled
from storage.models import JobRun

KEEP_JOB_RUNS_DAYS = 90


@scheduled("housekeeping", trigger="cron", hour=3, minute=17)
def housekeeping(services: Services) -> str:
    """Delete job-run records older than 90 days."""
    cutoff = services.now() - timedelta(days=KEEP_JOB_RUNS_DAYS)
    with services.db.session() as session:
        result = session.execute(delete(JobRun).where(JobRun.started_at < cutoff))
        removed = getattr(result, "rowcount", 0) or 0
    return f"removed {removed} job runs older than {KEEP_JOB_RUNS_DAYS} days"
