"""The clock process: APScheduler 3.x running every registered job on its schedule.

The schedule is defined here, by the clock process itself, in a memory job store:
nothing is persisted, so a restart picks up the current code's schedule. Missed runs
coalesce into one; a run that would overlap the previous one is skipped.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services
from jobs.registry import load_jobs
from jobs.runner import run_job

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def build_scheduler(services: Services, *, timezone: str = "UTC") -> BackgroundScheduler:
    """A scheduler with every registered job added."""
    scheduler = BackgroundScheduler(timezone=timezone, job_defaults=JOB_DEFAULTS)
    for spec in load_jobs().values():
        scheduler.add_job(
            run_job,
            trigger=spec.trigger,
            args=[spec.name, services],
            kwargs={"trigger": "clock"},
            id=spec.name,
            name=spec.description,
            replace_existing=True,
            **JOB_DEFAULTS,
            **spec.schedule,
        )
    return scheduler


def run_clock(services: Services) -> None:
    """Run the scheduler until SIGTERM or SIGINT, then let running jobs finish and exit."""
    scheduler = build_scheduler(services)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("clock received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.start()
    names = ", ".join(f"{job.id} ({job.trigger})" for job in scheduler.get_jobs())
    log.info("clock started with jobs: %s", names)
    stop.wait()
    scheduler.shutdown(wait=True)
    log.info("clock stopped")
