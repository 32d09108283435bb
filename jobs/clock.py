"""The clock process: APScheduler 3.x running every registered job on its schedule.

The schedule is defined here, by the clock process itself, in a memory job store:
nothing is persisted, so a restart picks up the current code's schedule and config
(`schedule:` in finops.yml, in its time zone). Missed runs coalesce into one; a run that
would overlap the previous one is skipped.

Only one clock runs jobs: each clock keeps trying to hold the `clock` lease in the
database (see jobs.lease) and a clock that does not hold it stays on standby, ready to
take over when the holder stops renewing. Each job run also holds its own `job:<name>`
lease (jobs.runner), and alerts are claimed in `posted_alerts` before they are posted.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.args import suggest
from bot.config import ConfigError, ScheduleConfig
from bot.services import Services
from jobs.lease import Lease
from jobs.registry import JobSpec, load_jobs
from jobs.runner import run_job
from storage.health import database_problem

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
CLOCK_LEASE = "clock"
CLOCK_LEASE_TTL = timedelta(minutes=2)
HEARTBEAT_SECONDS = 30


class ClockLeader:
    """Whether this clock is the one that runs jobs (it holds the `clock` lease)."""

    def __init__(self, services: Services, *, ttl: timedelta = CLOCK_LEASE_TTL) -> None:
        self.lease = Lease(services.db, CLOCK_LEASE, ttl=ttl, now=services.now)
        self._leading = False

    @property
    def owner(self) -> str:
        """This clock's owner id."""
        return self.lease.owner

    def heartbeat(self) -> bool:
        """Take or renew the lease; True while this clock leads."""
        try:
            leading = self.lease.acquire()
        except Exception:
            log.exception("clock lease check failed; not running jobs until it works")
            leading = False
        if leading != self._leading:
            log.info("clock %s is now %s", self.owner, "leading" if leading else "on standby")
        self._leading = leading
        return leading

    def step_down(self) -> None:
        """Release the lease so a standby clock can take over at once."""
        if self._leading:
            self.lease.release()
            self._leading = False


def clock_run(name: str, services: Services, leader: ClockLeader) -> str:
    """What the scheduler calls: run the job only when this clock leads."""
    if not leader.heartbeat():
        log.info("job %s not run: another clock (%s) leads", name, leader.lease.holder())
        return "standby"
    problem = database_problem(services.db)
    if problem is not None:
        log.warning("job %s skipped: %s", name, problem)
        return "skipped"
    return run_job(name, services, trigger="clock").status


def job_trigger(spec: JobSpec, services: Services) -> BaseTrigger | None:
    """The job's trigger: its `schedule:` line from the config, else its declared one."""
    timezone = services.config.schedule.timezone
    line = services.config.schedule.for_job(spec.name)
    if line == "off":
        return None
    if line is not None:
        return CronTrigger.from_crontab(line, timezone=timezone)
    if spec.trigger == "cron":
        return CronTrigger(timezone=timezone, **spec.schedule)
    from apscheduler.triggers.interval import IntervalTrigger

    return IntervalTrigger(timezone=timezone, **spec.schedule)


def describe_schedule(spec: JobSpec, schedule: ScheduleConfig) -> str:
    """The schedule the clock uses for `spec`: `cron "5 */6 * * *" (UTC, from config)`."""
    line = schedule.for_job(spec.name)
    if line == "off":
        return "off (schedule: off)"
    if line is not None:
        return f'cron "{line}" ({schedule.timezone}, from config)'
    declared = " ".join(f"{k}={v}" for k, v in spec.schedule.items())
    return f"{spec.trigger} {declared} ({schedule.timezone}, built in)"


def build_scheduler(
    services: Services, *, leader: ClockLeader | None = None
) -> BackgroundScheduler:
    """A scheduler with every registered job added (and the leader's heartbeat)."""
    jobs = load_jobs()
    unknown = set(services.config.schedule.jobs) - set(jobs)
    if unknown:
        name = sorted(unknown)[0]
        raise ConfigError(
            f"schedule.jobs.{name} is not a job{suggest(name, jobs) or '.'} "
            f"Jobs: {', '.join(sorted(jobs))}"
        )
    leader = leader or ClockLeader(services)
    timezone = services.config.schedule.timezone
    scheduler = BackgroundScheduler(timezone=timezone, job_defaults=JOB_DEFAULTS)
    options: dict[str, Any] = dict(JOB_DEFAULTS)
    for spec in jobs.values():
        trigger = job_trigger(spec, services)
        if trigger is None:
            log.info("job %s is off (schedule: off)", spec.name)
            continue
        scheduler.add_job(
            clock_run,
            trigger=trigger,
            args=[spec.name, services, leader],
            id=spec.name,
            name=spec.description,
            replace_existing=True,
            **options,
        )
    scheduler.add_job(
        leader.heartbeat,
        trigger="interval",
        seconds=HEARTBEAT_SECONDS,
        id="clock-heartbeat",
        name="keep the clock lease",
        replace_existing=True,
        **options,
    )
    return scheduler


def run_clock(services: Services) -> None:
    """Run the scheduler until SIGTERM or SIGINT, then let running jobs finish and exit."""
    leader = ClockLeader(services)
    scheduler = build_scheduler(services, leader=leader)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("clock received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    from bot.observability.exposition import start_metrics_port
    from jobs.periods import job_periods

    start_metrics_port(services, job_periods=lambda: job_periods(services))  # with METRICS_PORT
    leader.heartbeat()
    scheduler.start()
    scheduled = [scheduler.get_job(name) for name in load_jobs()]
    names = ", ".join(f"{job.id} ({job.trigger})" for job in scheduled if job is not None)
    log.info("clock started with jobs: %s", names)
    log.info("clock id %s (the one holding the `clock` lease runs the jobs)", leader.owner)
    stop.wait()
    scheduler.shutdown(wait=True)
    leader.step_down()
    log.info("clock stopped")
