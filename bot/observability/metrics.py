"""Every Prometheus metric of the bot, and the functions that move them.

Label sets are bounded: commands, kinds, jobs, outcomes and dependencies are finite names
from the code or the config; resource ids, user ids and channel ids are never labels.

Multiprocess: with several worker processes behind one port (gunicorn and the like), set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory before start; `/metrics` then aggregates
every process's files (prometheus-client's multiprocess mode). Waitress (`finops-bot serve`)
is one process with threads and needs nothing. Replicas are scraped one by one.
"""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import Counter, Gauge, Histogram

#: Slack expects an ack within 3 s; these buckets show how far under it we stay.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)
_ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_SCAN_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

ACK_SECONDS = Histogram(
    "finops_slack_ack_seconds",
    "Time from receiving a Slack request to answering it over HTTP (the 3-second rule).",
    ["kind", "command"],
    buckets=_ACK_BUCKETS,
)
ANSWER_SECONDS = Histogram(
    "finops_answer_seconds",
    "Time from receiving a command to its real answer being sent.",
    ["command"],
    buckets=_ANSWER_BUCKETS,
)
REQUESTS = Counter(
    "finops_requests_total",
    "Slack commands and interactions by command and outcome (ok, bad_input, failed).",
    ["command", "outcome"],
)
QUEUE_DEPTH = Gauge(
    "finops_worker_queue_depth", "Answers waiting for a worker of the bot's own pool."
)
QUEUE_REJECTIONS = Counter(
    "finops_worker_rejections_total", "Answers refused or delayed because the pool was full."
)
AWS_API_REQUESTS = Counter(
    "finops_aws_billed_requests_total",
    "Billed AWS API requests the bot made (cost_explorer pages, cloudwatch GetMetricData "
    "calls, athena queries), by API and operation.",
    ["api", "operation"],
)
AWS_API_UNITS = Counter(
    "finops_aws_billed_units_total",
    "What the bot's billed AWS requests are priced by: Cost Explorer pages, CloudWatch "
    "metrics requested, Athena bytes scanned.",
    ["api", "unit"],
)
AWS_API_DOLLARS = Counter(
    "finops_aws_api_dollars_total", "What the bot's own AWS API use cost, in dollars.", ["api"]
)
CACHE = Counter(
    "finops_cost_cache_total",
    "Cost questions answered from the cache (hit) or needing a fetch (miss).",
    ["result"],
)
SCANS = Counter(
    "finops_scans_total",
    "Scans of one target (account, region, kind) by outcome.",
    ["kind", "outcome"],
)
SCAN_SECONDS = Histogram(
    "finops_scan_seconds", "How long one target's scan took.", ["kind"], buckets=_SCAN_BUCKETS
)
EXECUTIONS = Counter(
    "finops_remediation_executions_total",
    "Approved remediation actions carried out, by action and outcome.",
    ["action", "outcome"],
)
SLACK_DELIVERIES = Counter(
    "finops_slack_deliveries_total",
    "Slack Web API deliveries by method and outcome (delivered, retried, rate_limited, failed).",
    ["method", "outcome"],
)

BREAKER_VALUES = {"closed": 0, "half-open": 1, "open": 2}


def observe_ack(kind: str, command: str, seconds: float) -> None:
    """One Slack request answered over HTTP after `seconds`."""
    ACK_SECONDS.labels(kind=kind, command=command).observe(seconds)


def observe_answer(command: str, seconds: float, outcome: str) -> None:
    """One command answered (outcome: ok, bad_input or failed)."""
    ANSWER_SECONDS.labels(command=command).observe(seconds)
    REQUESTS.labels(command=command, outcome=outcome).inc()


def count_outcome(command: str, outcome: str) -> None:
    """Count a command or click whose answer time is not measured (an ack-only answer)."""
    REQUESTS.labels(command=command, outcome=outcome).inc()


def count_billed(api: str, operation: str, *, unit: str, units: float, dollars: Decimal) -> None:
    """One billed AWS request: its units and its price (and the persistent ledger's share)."""
    from bot.observability import usage

    AWS_API_REQUESTS.labels(api=api, operation=operation).inc()
    AWS_API_UNITS.labels(api=api, unit=unit).inc(units)
    AWS_API_DOLLARS.labels(api=api).inc(float(dollars))
    usage.LEDGER.add(api, requests=1, units=int(units), dollars=dollars)


def count_cache(*, hit: bool) -> None:
    """A cost question answered from the cache, or one that needed a fetch."""
    from bot.observability import usage

    CACHE.labels(result="hit" if hit else "miss").inc()
    if hit:
        usage.LEDGER.add("cost_explorer_saved", requests=1, units=0, dollars=Decimal("0.01"))


def observe_scan(kind: str, seconds: float, *, ok: bool) -> None:
    """One target of `kind` scanned in `seconds`."""
    SCANS.labels(kind=kind, outcome="ok" if ok else "failed").inc()
    SCAN_SECONDS.labels(kind=kind).observe(seconds)


def count_execution(action: str, outcome: str) -> None:
    """An approved action executed (outcome: executed, failed)."""
    EXECUTIONS.labels(action=action, outcome=outcome).inc()


def count_delivery(method: str, outcome: str) -> None:
    """One Slack Web API call's result: delivered, retried, rate_limited or failed."""
    SLACK_DELIVERIES.labels(method=method, outcome=outcome).inc()
