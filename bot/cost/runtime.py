"""Per-process `/cost` state: the circuit breaker, the Cost Explorer client, answer workers."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from botocore.config import Config

from bot.services import Services

from .breaker import CircuitBreaker
from .explorer import CostExplorer
from .memo import SliceMemo

log = logging.getLogger(__name__)

ANSWER_WORKERS = 2
FETCH_WORKERS = 4
CE_REGION = "us-east-1"  # Cost Explorer is global; its endpoint lives in us-east-1


@dataclass
class CostRuntime:
    """Per-process state: the breaker, the Cost Explorer client config, per-slice locks."""

    breaker: CircuitBreaker
    client_config: Config
    locks: defaultdict[str, threading.Lock] = field(
        default_factory=lambda: defaultdict(threading.Lock)
    )
    guard: threading.Lock = field(default_factory=threading.Lock)
    #: Answers are computed here, after the ack, so that Bolt's listener threads stay free
    #: to acknowledge new commands at once (charts take ~0.1 s of CPU each).
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(ANSWER_WORKERS, "cost-answer")
    )
    charts: dict[str, str] = field(default_factory=dict)  # chart fingerprint -> Slack file id
    #: Decoded cache reads, kept while the database holds the same days (bot/cost/memo.py).
    slices: SliceMemo = field(default_factory=SliceMemo)
    #: Fetches from the cost source run here, so a slow source never holds an answer
    #: worker (answers past their time budget are given from the cache meanwhile).
    fetchers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(FETCH_WORKERS, "cost-fetch")
    )

    def lock_for(self, key: str) -> threading.Lock:
        """The lock that makes one fetch per slice at a time."""
        with self.guard:
            return self.locks[key]

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` on an answer worker; its exceptions are logged, never lost."""

        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("answering /cost failed")

        self.workers.submit(run)

    def fetch(self, work: Callable[[], None]) -> None:
        """Run a fetch-and-answer on a fetch worker; exceptions are logged."""

        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("fetching costs failed")

        self.fetchers.submit(run)

    def chart_file(self, fingerprint: str) -> str | None:
        """The Slack file id of a chart already uploaded for exactly this data."""
        with self.guard:
            return self.charts.get(fingerprint)

    def remember_chart(self, fingerprint: str, file_id: str) -> None:
        """Remember an uploaded chart (the newest 500)."""
        with self.guard:
            self.charts[fingerprint] = file_id
            while len(self.charts) > 500:
                self.charts.pop(next(iter(self.charts)))


_RUNTIME_GUARD = threading.Lock()


def runtime_for(services: Services) -> CostRuntime:
    """The services' cost runtime, made on first use from `cost.breaker` in the config."""
    with _RUNTIME_GUARD:
        runtime: CostRuntime | None = services.__dict__.get("_cost_runtime")
        if runtime is None:
            settings = services.config.cost.breaker
            runtime = CostRuntime(
                breaker=CircuitBreaker(
                    failure_threshold=settings.failure_threshold,
                    recovery_seconds=settings.recovery_seconds,
                ),
                client_config=Config(
                    connect_timeout=settings.timeout_seconds,
                    read_timeout=settings.timeout_seconds,
                    retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
                ),
            )
            services.__dict__["_cost_runtime"] = runtime
        return runtime


def explorer_for(services: Services) -> CostExplorer:
    """A counted Cost Explorer client with the configured timeouts and retries."""
    runtime = runtime_for(services)
    client = services.aws.client("ce", region=CE_REGION, client_config=runtime.client_config)
    cost = services.config.cost
    return CostExplorer(
        client,
        team_tag=services.config.tags.team,
        metric=cost.metric,
        exclude=cost.exclude_charge_categories,
    )
