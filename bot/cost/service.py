"""Answering a `/cost` question: plan the cached query, fill the cache, compute the report."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws import describe_aws_error
from bot.config import FinopsConfig
from bot.orphans.prices import format_money
from bot.services import Services

from . import cache
from .breaker import CircuitBreaker
from .explorer import SliceSpec
from .periods import (
    LOOKBACK_MONTHS,
    Period,
    add_months,
    month_start,
    parse_period,
    previous_period,
)
from .query import CostQuery, dimension_of, resolve_service
from .report import (
    CostReport,
    Forecast,
    Row,
    breakdown,
    daily_series,
    exact_total,
    in_period,
)
from .runtime import explorer_for, runtime_for

log = logging.getLogger(__name__)

#: Error codes that mean "try again later" (they count against the circuit breaker).
TRANSIENT_CODES = frozenset(
    {
        "LimitExceededException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class CostUnavailable(Exception):
    """No trustworthy answer can be given; the message says why, for the asker."""


def plan(by: str, filters: dict[str, str]) -> tuple[SliceSpec, dict[str, str]]:
    """The cached query that answers the question, and the filters applied locally.

    Team is always the first grouping (one query serves every team); the second is the
    `by` dimension (service when grouping by team). Filters on other dimensions go to
    Cost Explorer and become part of the cached query.
    """
    second = by
    if by == "team":
        second = next((d for d in ("service", "account", "region") if d in filters), "service")
    groups = ("team", second)
    remote = tuple((d, v) for d, v in sorted(filters.items()) if d not in groups)
    local = {d: v for d, v in filters.items() if d in groups}
    return SliceSpec(groups, remote), local


def answer_cost(services: Services, query: CostQuery) -> CostReport:
    """Answer `query` exactly; CostUnavailable (or ArgumentError) when it cannot be."""
    config, now = services.config, services.now()
    today = now.date()
    period = parse_period(query.period, today)
    if period.days == 0 and query.period.strip().lower() == "mtd":
        return _first_of_month(services, query)
    previous = previous_period(period, today)
    days = period.day_list() + (previous.day_list() if previous else [])
    by = dimension_of(query.by, config.tags.team)
    filters = {
        k: v
        for k, v in (("team", query.team), ("account", query.account), ("region", query.region))
        if v
    }
    problems: list[str] = []
    service_name = None
    if query.service:
        base, _ = plan("service", {})
        known_rows, problem = _load(services, base, days, now)
        problems += [problem] if problem else []
        service_name = resolve_service(query.service, sorted({r[2] for r in known_rows.rows}))
        filters["service"] = service_name
    spec, local = plan(by, filters)
    cached, problem = _load(services, spec, days, now)
    problems += [problem] if problem else []
    rows = [row for row in cached.rows if _matches(row, spec.groups, local)]
    current = in_period(rows, period)
    total = exact_total(current)
    report = CostReport(
        query=query,
        period=period,
        dimension=by,
        currency=cached.currency(),
        total=total,
        lines=breakdown(
            current,
            index=spec.groups.index(by) if by in spec.groups else 1,
            label=_labeler(by, config),
            total=total,
            top=config.cost.top_lines,
        ),
        daily=daily_series(current, period),
        previous=previous,
        previous_total=exact_total(in_period(rows, previous)) if previous else None,
        provisional_from=min(
            (d for d, e in cached.days.items() if e.estimated and period.start <= d < period.end),
            default=None,
        ),
        service_name=service_name,
    )
    _coverage(report, first_day=min((row[0] for row in cached.rows), default=None))
    if period.days == 0:
        report.notes.append("The month started today: Cost Explorer has no cost for it yet.")
    if problems:
        report.problem = problems[0]
        report.data_as_of = cached.oldest_fetch()
    if period.start == month_start(today) and period.end == today:
        report.forecast = _forecast(services, query, filters, total, today, now)
    return report


def _coverage(report: CostReport, *, first_day: date | None) -> None:
    """When the data starts inside the window (a newer account, or older than Cost
    Explorer's ~13 months), say what is covered, and drop a comparison with a period that
    mostly has no data."""
    if first_day is None:
        return
    period, previous = report.period, report.previous
    if first_day > period.start:
        report.notes.append(
            f"Cost data starts on {first_day}: {period.describe()} is covered from then on "
            f"(nothing before it in Cost Explorer, which keeps about {LOOKBACK_MONTHS} months)."
        )
    if previous is not None and (first_day - previous.start).days * 2 > previous.days:
        report.notes.append(
            f"No comparison with {previous.label}: most of it ({previous.describe()}) "
            "has no cost data."
        )
        report.previous, report.previous_total = None, None


def _first_of_month(services: Services, query: CostQuery) -> CostReport:
    """Month to date on the 1st has no settled day: last month's final figures lead (total,
    breakdown, vs the month before), with this month's forecast and last month vs budget."""
    now = services.now()
    today = now.date()
    report = answer_cost(services, replace(query, period="last-month"))
    month = f"{report.period.start:%B}"
    report.notes.insert(
        0,
        f"{today:%B} has no full day yet: these are {month}'s final figures "
        "(ask `period=mtd` again tomorrow for the new month).",
    )
    filters = {
        k: v
        for k, v in (("team", query.team), ("account", query.account), ("region", query.region))
        if v
    }
    forecast = _forecast(services, query, filters, Decimal("0.00"), today, now)
    report.forecast, report.forecast_month = forecast, today
    if forecast.budget:
        use = (report.total * 100 / forecast.budget).quantize(Decimal("0.1"))
        report.notes.insert(
            1,
            f"Budget {format_money(forecast.budget, report.currency)}: {month} used {use:,.1f} %.",
        )
    return report


@dataclass(frozen=True)
class DailyCosts:
    """Cached daily cost rows `(day, group 1 value, group 2 value, amount)` of one slice.

    `problem` says why some days may be stale (Cost Explorer failing; cached data served).
    """

    rows: list[Row]
    currency: str
    problem: str | None = None


def daily_costs(
    services: Services,
    *,
    group: tuple[str, str],
    start: date,
    end: date,
    filters: Iterable[tuple[str, str]] = (),
) -> DailyCosts:
    """Daily cost over [start, end) grouped by `group`, through the `/cost` cache.

    Args:
        group: two dimension names (`team`, `service`, `account`, `region`, `usage-type`,
            `tag:KEY`); untagged spend has the value "".
        filters: (dimension, value) pairs Cost Explorer applies (team "" = untagged).

    Raises CostUnavailable when days are missing and Cost Explorer cannot give them.
    """
    spec = SliceSpec(group, tuple(sorted(filters)))
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    cached, problem = _load(services, spec, days, services.now())
    rows = [row for row in cached.rows if start <= row[0] < end]
    return DailyCosts(rows=rows, currency=cached.currency(), problem=problem)


def month_end_forecast(services: Services, *, team: str | None, so_far: Decimal) -> Forecast:
    """This month's end for `team` (None: everything): `so_far` plus Cost Explorer's
    forecast for the rest of the month, cached like `/cost`'s."""
    now = services.now()
    filters = {"team": team} if team else {}
    return _forecast(services, CostQuery(team=team), filters, so_far, now.date(), now)


def _matches(row: Row, groups: tuple[str, str], local: dict[str, str]) -> bool:
    for dimension, value in local.items():
        got = str(row[1 + groups.index(dimension)])
        if dimension in ("team", "region"):
            if got.lower() != value.lower():
                return False
        elif got != value:
            return False
    return True


def _labeler(by: str, config: FinopsConfig) -> Any:
    names = {a.id: a.name for a in config.accounts if a.name}
    tag = config.tags.team if by == "team" else by[4:] if by.startswith("tag:") else None

    def label(value: str) -> tuple[str, str]:
        if tag is not None:
            return (value, "value") if value else (f"no {tag} tag", "untagged")
        if by == "account" and value in names:
            return f"{names[value]} ({value})", "value"
        return value or "(none)", "value"

    return label


def _load(
    services: Services, spec: SliceSpec, days: list[date], now: datetime
) -> tuple[cache.CachedSlice, str | None]:
    """The slice's rows over `days`, fetching stale days; (cached, problem or None)."""
    runtime = runtime_for(services)
    cost = services.config.cost
    freshness = cache.Freshness(cost.settle_days, timedelta(hours=cost.ttl_hours))
    key = spec.key(services.config.tags.team)
    if not days:
        return cache.CachedSlice(days={}, rows=[]), None
    start, end = min(days), max(days) + timedelta(days=1)
    problem = None
    with runtime.lock_for(key):
        with services.db.session() as session:
            stale = cache.stale_days(session, key, days, freshness, now)
        if stale:
            problem = _fetch(services, spec, key, stale, now)
        with services.db.session() as session:
            cached = cache.read(session, key, start, end)
    if problem is not None:
        missing = sorted(d for d in days if d not in cached.days)
        if missing:
            raise CostUnavailable(
                f"{problem}. There is no cached data for {missing[0]}"
                + (f" to {missing[-1]}" if len(missing) > 1 else "")
                + " either, so there is no answer yet. Try again in a few minutes."
            )
    return cached, problem


def _fetch(
    services: Services, spec: SliceSpec, key: str, stale: list[date], now: datetime
) -> str | None:
    """Fetch the stale days into the cache; a problem text when Cost Explorer failed."""
    breaker = runtime_for(services).breaker
    if not breaker.allow():
        return _open_text(breaker)
    explorer = explorer_for(services)
    try:
        for start, end in cache.runs(stale):
            fetched = explorer.daily(spec, start, end)
            with services.db.session() as session:
                cache.store(session, key, start, end, fetched, now)
    except (ClientError, BotoCoreError) as exc:
        return _failed(breaker, exc)
    breaker.record_success()
    return None


def _failed(breaker: CircuitBreaker, exc: ClientError | BotoCoreError) -> str:
    """Record a transient failure (or raise CostUnavailable for a request AWS refuses)."""
    text = describe_aws_error(exc)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code not in TRANSIENT_CODES and int(status or 0) < 500:
            breaker.release()
            raise CostUnavailable(f"Cost Explorer refused the request: {text}") from None
    log.warning("Cost Explorer failed: %s", text)
    breaker.record_failure(text)
    return f"Cost Explorer is not answering ({text})"


def _open_text(breaker: CircuitBreaker) -> str:
    return (
        f"Cost Explorer kept failing ({breaker.last_error or 'errors'}), so the bot stopped "
        f"asking it for a while (next try in {int(breaker.retry_in()) + 1} s)"
    )


def forecast_key(team_tag: str, filters: dict[str, str]) -> str:
    """The cache key of a forecast for a filter set."""
    text = json.dumps([team_tag, sorted(filters.items())])
    return hashlib.sha1(text.encode()).hexdigest()


def _forecast(
    services: Services,
    query: CostQuery,
    filters: dict[str, str],
    so_far: Decimal,
    today: date,
    now: datetime,
) -> Forecast:
    """Month end = spend so far + Cost Explorer's forecast for today .. month end (cached)."""
    config = services.config
    team = config.teams.get(query.team) if query.team else None
    budget = team.monthly_budget if team else None
    key = forecast_key(config.tags.team, filters)
    ttl = timedelta(hours=config.cost.ttl_hours)
    with services.db.session() as session:
        row = cache.cached_forecast(session, key, today)
        fresh = row is not None and now - cache.aware(row.fetched_at) < ttl
        amount = Decimal(row.amount) if row and row.amount is not None else None
        note = row.note if row else ""
    if not fresh:
        amount, note = _fetch_forecast(services, key, filters, today, now, amount, note)
    if amount is None:
        return Forecast(month_end=None, budget=budget, note=note)
    month_end = so_far + amount
    use = (month_end * 100 / budget).quantize(Decimal("0.1")) if budget else None
    return Forecast(month_end=month_end, budget=budget, budget_use=use, note=note)


def _fetch_forecast(
    services: Services,
    key: str,
    filters: dict[str, str],
    today: date,
    now: datetime,
    cached_amount: Decimal | None,
    cached_note: str,
) -> tuple[Decimal | None, str]:
    breaker = runtime_for(services).breaker
    if not breaker.allow():
        return cached_amount, cached_note or "No forecast: Cost Explorer is not answering."
    try:
        amount, currency = explorer_for(services).forecast(
            sorted(filters.items()), today, add_months(today, 1)
        )
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
        if code == "DataUnavailableException":
            breaker.release()
            note = "No forecast yet: Cost Explorer needs more history for this spend."
            with services.db.session() as session:
                cache.store_forecast(
                    session, key, today, now, amount=None, currency=None, note=note
                )
            return None, note
        try:
            problem = _failed(breaker, exc)
        except CostUnavailable as refused:
            problem = str(refused)
        return cached_amount, f"No fresh forecast: {problem}."
    breaker.record_success()
    with services.db.session() as session:
        cache.store_forecast(session, key, today, now, amount=amount, currency=currency)
    return amount, ""


def period_for(query: CostQuery, today: date) -> Period:
    """The days a question covers on `today` (for renderers and the Share button)."""
    return parse_period(query.period, today)
