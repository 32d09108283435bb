"""How often each job runs on its effective schedule (for `finops_job_period_seconds`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from bot.services import Services
from jobs.clock import job_trigger
from jobs.registry import load_jobs


def job_periods(services: Services) -> dict[str, float]:
    """Each scheduled job's longest gap between runs over the next eight fires, in seconds."""
    cached: dict[str, float] | None = services.__dict__.get("_job_periods")
    if cached is not None:
        return cached
    periods: dict[str, float] = {}
    start = datetime.now(UTC)
    for spec in load_jobs().values():
        trigger = job_trigger(spec, services)
        if trigger is None:
            continue
        fires, previous = [], None
        moment = start
        for _ in range(8):
            fire = trigger.get_next_fire_time(previous, moment)
            if fire is None:
                break
            fires.append(fire)
            previous, moment = fire, fire + timedelta(seconds=1)
        gaps = [(b - a).total_seconds() for a, b in pairwise(fires)]
        if gaps:
            periods[spec.name] = max(gaps)
    services.__dict__["_job_periods"] = periods
    return periods
