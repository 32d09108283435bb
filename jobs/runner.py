"""Running one job once, with its run recorded in `job_runs`."""

from __future__ import annotations

import logging

from bot.args import suggest
from bot.services import Services
from jobs.registry import load_jobs
from storage.models import JobRun

log = logging.getLogger(__name__)


class UnknownJob(LookupError):
    """No job has that name."""


def run_job(name: str, services: Services, *, trigger: str = "manual") -> JobRun:
    """Run job `name` now. Failures are logged and recorded, never raised."""
    jobs = load_jobs()
    spec = jobs.get(name)
    if spec is None:
        raise UnknownJob(
            f'No job named "{name}"{suggest(name, jobs) or "."} Jobs: {", ".join(sorted(jobs))}.'
        )
    with services.db.session() as session:
        run = JobRun(
            job=name, trigger=trigger, started_at=services.now(), status="running", detail=""
        )
        session.add(run)
    log.info("job %s started (%s)", name, trigger)
    try:
        detail = spec.func(services) or ""
        status = "ok"
    except Exception as exc:
        log.exception("job %s failed", name)
        detail, status = f"{type(exc).__name__}: {exc}", "failed"
    with services.db.session() as session:
        run = session.merge(run)
        run.status, run.detail, run.finished_at = status, detail[:4000], services.now()
    log.info("job %s finished: %s %s", name, status, detail)
    return run
