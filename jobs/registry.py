"""Scheduled jobs, each declared next to its function with its name and schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.services import Services

JobFunction = Callable[[Services], str | None]


@dataclass(frozen=True)
class JobSpec:
    """A job: its name, what it does, when it runs (APScheduler trigger arguments)."""

    name: str
    func: JobFunction
    description: str
    trigger: str  # "cron" or "interval"
    schedule: dict[str, Any] = field(default_factory=dict)


JOBS: dict[str, JobSpec] = {}


def scheduled(name: str, *, trigger: str, **schedule: Any) -> Callable[[JobFunction], JobFunction]:
    """Register `func` as the job `name`.

    Example: `@scheduled("digest", trigger="cron", day_of_week="mon", hour=9)`.
    """

    def register(func: JobFunction) -> JobFunction:
        if name in JOBS:
            raise ValueError(f"job {name!r} is registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        JOBS[name] = JobSpec(name, func, doc[0] if doc else name, trigger, dict(schedule))
        return func

    return register


def load_jobs() -> dict[str, JobSpec]:
    """Import every job module so its `@scheduled` registrations run; return the registry."""
    from jobs import housekeeping  # noqa: F401, I001 - imported for registration (first)
    from jobs import anomalies, budgets, cleanups, digest, inventory  # noqa: F401

    return JOBS
