"""Running one job once, with its run recorded in `job_runs`."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.args import suggest
from bot.observability.usage import LEDGER
from bot.services import Services
from jobs.lease import Lease, LeaseBusy
from jobs.registry import load_jobs
from storage.models import JobRun

log = logging.getLogger(__name__)

#: A job's own lease: renewed while it runs, lapses this long after a crash.
JOB_LEASE_TTL = timedelta(minutes=10)


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
    lease = Lease(services.db, f"job:{name}", ttl=JOB_LEASE_TTL, now=services.now)
    try:
        with lease.held():
            detail = spec.func(services) or ""
        status = "ok"
    except LeaseBusy as busy:
        detail, status = f"skipped: already running ({busy.holder})", "skipped"
    except Exception as exc:
        log.exception("job %s failed", name)
        detail, status = f"{type(exc).__name__}: {exc}", "failed"
    with services.db.session() as session:
        run = session.merge(run)
        run.status, run.detail, run.finished_at = status, detail[:4000], services.now()
    LEDGER.flush(services.db, services.now())  # the job's billed API calls, for /finops status
    log.info("job %s finished: %s %s", name, status, detail)
    return run
