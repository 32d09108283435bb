"""Gauges read from the database and the process at scrape time.

What the clock does (job runs, posted alerts) and what several replicas share (requests by
state, the outbox, the inventory) lives in the database, so `serve`'s `/metrics` reports it
for the whole deployment: the clock needs no port of its own, and a restart loses nothing.
Each figure is one cheap aggregate query; a table this database does not have yet (an
older schema) is skipped, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from bot.observability.metrics import BREAKER_VALUES
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GaugeQuery:
    """A gauge whose samples are the rows of `sql`: label columns first, the value last."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    sql: str


#: Every database-backed gauge. Adding one: one entry here.
QUERIES: list[GaugeQuery] = [
    GaugeQuery(
        "finops_remediation_requests",
        "Cleanup and advice requests by state (pending, approved, executing, executed, …).",
        ("state",),
        "SELECT state, COUNT(*) FROM cleanup_requests GROUP BY state",
    ),
    GaugeQuery(
        "finops_job_runs",
        "Runs of each scheduled job by outcome (ok, failed, skipped, running), all time.",
        ("job", "outcome"),
        "SELECT job, status, COUNT(*) FROM job_runs GROUP BY job, status",
    ),
    GaugeQuery(
        "finops_job_last_success_timestamp_seconds",
        "When each job last finished ok (Unix time).",
        ("job",),
        "SELECT job, MAX(finished_at) FROM job_runs WHERE status = 'ok' GROUP BY job",
    ),
    GaugeQuery(
        "finops_job_last_run_timestamp_seconds",
        "When each job last finished, whatever its outcome (Unix time).",
        ("job",),
        "SELECT job, MAX(finished_at) FROM job_runs WHERE finished_at IS NOT NULL GROUP BY job",
    ),
    GaugeQuery(
        "finops_outbox_messages",
        "Slack messages in the outbox by state (pending, sending, delivered, failed).",
        ("state",),
        "SELECT state, COUNT(*) FROM outbox GROUP BY state",
    ),
    GaugeQuery(
        "finops_inventory_oldest_scan_timestamp_seconds",
        "When the stalest target of each kind and region was last scanned (Unix time; "
        "inventory age = time() - this).",
        ("kind", "region"),
        "SELECT kind, region, MIN(scanned_at) FROM inventory_targets "
        "WHERE scanned_at IS NOT NULL GROUP BY kind, region",
    ),
    GaugeQuery(
        "finops_inventory_failing_targets",
        "Inventory targets whose last scan failed (they keep their last good findings).",
        ("kind",),
        "SELECT kind, COUNT(*) FROM inventory_targets WHERE error IS NOT NULL GROUP BY kind",
    ),
    GaugeQuery(
        "finops_api_dollars_month",
        "This month's billed AWS API spend of the bot, all processes (from api_usage).",
        ("api",),
        "SELECT api, dollars FROM api_usage WHERE month = :month",
    ),
]


class StateCollector(Collector):
    """Collects the database gauges and the circuit breakers of one `Services`."""

    def __init__(
        self, services: Services, *, job_periods: Callable[[], dict[str, float]] | None = None
    ) -> None:
        self._services = services
        self._job_periods = job_periods

    def collect(self) -> Iterator[Metric]:
        now = self._services.now()
        params = {"month": now.strftime("%Y-%m")}
        for query in QUERIES:
            family = GaugeMetricFamily(query.name, query.documentation, labels=query.labels)
            try:
                rows = self._rows(query.sql, params)
            except Exception as exc:  # an older schema or an unreachable database
                log.debug("metric %s skipped: %s", query.name, exc)
                continue
            for row in rows:
                *labels, value = row
                family.add_metric([str(v) for v in labels], _number(value))
            yield family
        yield self._breakers()
        yield self._periods()

    def _rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        with self._services.db.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def _breakers(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "finops_circuit_breaker_state",
            "Circuit breaker per dependency: 0 closed, 1 half-open, 2 open.",
            labels=("dependency",),
        )
        for dependency, state in breaker_states(self._services).items():
            family.add_metric([dependency], BREAKER_VALUES.get(state, 0))
        return family

    def _periods(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "finops_job_period_seconds",
            "The longest gap between two runs of each job on its effective schedule "
            "(alert when a job has no success for twice this).",
            labels=("job",),
        )
        for job, seconds in (self._job_periods() if self._job_periods else {}).items():
            family.add_metric([job], seconds)
        return family


def breaker_states(services: Services) -> dict[str, str]:
    """The state of every circuit breaker this process has made (closed when none yet)."""
    runtime = services.__dict__.get("_cost_runtime")
    state = runtime.breaker.state if runtime is not None else "closed"
    return {"cost_explorer": state}


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str):  # SQLite hands back DATETIME columns of raw SQL as text
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return float(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return float(value)
