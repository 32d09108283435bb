"""Answering a `/cost` question: plan the cached query, fill the cache, compute the report."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.config import FinopsConfig
from bot.formatting import format_money
from bot.observability.metrics import count_cache
from bot.services import Services

from . import cache
from .explorer import SliceSpec
from .export_files import ExportError, SourceFailure
from .failures import CostUnavailable, failed, open_text
from .forecasting import forecast as _forecast
from .memo import Stamps, read_kept, slice_stamps, stale_in
from .periods import LOOKBACK_MONTHS, Period, month_start, parse_period, previous_period
from .query import CostQuery, dimension_of, resolve_service
from .report import (
    CostReport,
    Forecast,
    Line,
    Row,
    breakdown,
    daily_series,
    exact_total,
    in_period,
)
from .runtime import runtime_for
from .sources import SOURCE_NAMES, source_for

log = logging.getLogger(__name__)


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


def answer_cost(services: Services, query: CostQuery, *, cache_only: bool = False) -> CostReport:
    """Answer `query` exactly; CostUnavailable (or ArgumentError) when it cannot be.

    `cache_only`: answer from what the cache holds now, fetching nothing (the quick answer
    given when the time budget runs out); `report.stale` says whether days were missing.
    A comparison period that cannot be had is left out with a note, never blocking.
    """
    config, now = services.config, services.now()
    today = now.date()
    period = parse_period(query.period, today)
    if period.days == 0 and query.period.strip().lower() == "mtd":
        return _first_of_month(services, query, cache_only=cache_only)
    previous = previous_period(period, today)
    current_days = period.day_list()
    days = current_days + (previous.day_list() if previous else [])
    fetch = not cache_only
    stale: list[date] = []
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
        known_rows, problem = _load(services, base, current_days, now, fetch=fetch, stale=stale)
        problems += [problem] if problem else []
        service_name = resolve_service(query.service, sorted({r[2] for r in known_rows.rows}))
        filters["service"] = service_name
    spec, local = plan(by, filters)
    notes: list[str] = []
    try:
        cached, problem = _load(services, spec, days, now, fetch=fetch, stale=stale)
    except CostUnavailable as missing:
        # The comparison period must never block the answer: retry without it.
        cached, problem = _load(services, spec, current_days, now, fetch=False, stale=stale)
        if previous is None or not _covered(cached, period):
            raise
        problem = problem or str(missing).split(". ")[0]
        if previous is not None and not _covered(cached, previous):
            notes.append(f"No comparison with {previous.label}: its costs are not available yet.")
            previous = None
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
        previous_total=(
            exact_total(in_period(rows, previous))
            if previous and _covered(cached, previous)
            else None
        ),
        provisional_from=min(
            (d for d, e in cached.days.items() if e.estimated and period.start <= d < period.end),
            default=None,
        ),
        service_name=service_name,
        notes=notes,
        metric=_metric_label(services),
        source=SOURCE_NAMES[config.cost.source],
        stale=bool(stale),
    )
    if previous is not None and report.previous_total is None and not cache_only:
        report.notes.append(f"No comparison with {previous.label}: its costs are not cached yet.")
        report.previous = None
    if cache_only and stale:
        report.data_as_of = cached.oldest_fetch()
    if config.cost.source != "cost_explorer" and by != "provider":
        report.providers = _providers(services, spec, period, now, fetch=fetch)
    _coverage(report, first_day=min((row[0] for row in cached.rows), default=None))
    if period.days == 0:
        report.notes.append("The month started today: Cost Explorer has no cost for it yet.")
    if problems:
        report.problem = problems[0]
        report.data_as_of = cached.oldest_fetch()
    if period.start == month_start(today) and period.end == today:
        report.forecast = _forecast(
            services, query, filters, total, today, now, fetch=fetch, stale=stale
        )
        report.stale = bool(stale)
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


def _first_of_month(
    services: Services, query: CostQuery, *, cache_only: bool = False
) -> CostReport:
    """Month to date on the 1st has no settled day: last month's final figures lead (total,
    breakdown, vs the month before), with this month's forecast and last month vs budget."""
    now = services.now()
    today = now.date()
    report = answer_cost(services, replace(query, period="last-month"), cache_only=cache_only)
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
    forecast = _forecast(
        services, query, filters, Decimal("0.00"), today, now, fetch=not cache_only
    )
    report.forecast, report.forecast_month = forecast, today
    if forecast.budget:
        use = (report.total * 100 / forecast.budget).quantize(Decimal("0.1"))
        report.notes.insert(
            1,
            f"Budget {format_money(forecast.budget, report.currency)}: {month} used {use:,.1f} %.",
        )
    return report


def _several_providers(services: Services) -> bool:
    """Whether the export may hold more than one provider (asked once per file set)."""
    engine = getattr(source_for(services), "engine", None)
    known = getattr(engine, "several_providers", None)
    try:
        return bool(known()) if callable(known) else True
    except (ExportError, SourceFailure):
        return False


def _covered(cached: cache.CachedSlice, period: Period) -> bool:
    return all(day in cached.days for day in period.day_list())


def _metric_label(services: Services) -> str:
    try:
        return source_for(services).metric_label()
    except (ExportError, SourceFailure):
        return services.config.cost.metric + " cost"


def _providers(
    services: Services, spec: SliceSpec, period: Period, now: datetime, *, fetch: bool
) -> list[Line]:
    """Spend per provider when the export holds several (one line each), else []."""
    if not _several_providers(services):
        return []
    by_provider = SliceSpec(("provider", spec.groups[1]), spec.filters)
    try:
        cached, _ = _load(services, by_provider, period.day_list(), now, fetch=fetch)
    except CostUnavailable:
        return []
    rows = in_period(cached.rows, period)
    if len({row[1] for row in rows}) < 2:
        return []
    total = exact_total(rows)
    return breakdown(rows, index=0, label=lambda v: (v or "(none)", "value"), total=total, top=9)


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


def slice_key(services: Services, spec: SliceSpec) -> str:
    """The cache key of a slice from the configured source, metric and exclusions."""
    return spec.key(services.config.tags.team, source_for(services).fingerprint)


def _load(
    services: Services,
    spec: SliceSpec,
    days: list[date],
    now: datetime,
    *,
    fetch: bool = True,
    stale: list[date] | None = None,
) -> tuple[cache.CachedSlice, str | None]:
    """The slice's rows over `days`, fetching stale days; (cached, problem or None).

    A fully fresh slice is read without waiting for the slice's fetch lock, so cached
    answers never queue behind a slow fetch. `fetch=False` reads only the cache (stale
    days are added to `stale`).
    """
    runtime = runtime_for(services)
    cost = services.config.cost
    freshness = cache.Freshness(cost.settle_days, timedelta(hours=cost.ttl_hours))
    key = slice_key(services, spec)
    if not days:
        return cache.CachedSlice(days={}, rows=[]), None
    start, end = min(days), max(days) + timedelta(days=1)
    problem = None
    with services.db.session() as session:
        stamps: Stamps | None = slice_stamps(session, key, start, end)
    missing = stale_in(stamps or (), days, freshness, now)
    count_cache(hit=not missing)
    if missing and not fetch and stale is not None:
        stale.extend(missing)
    if missing and fetch:
        stamps = None  # another thread may fetch first: read what is there after the lock
        with runtime.lock_for(key):
            with services.db.session() as session:
                missing = cache.stale_days(session, key, days, freshness, now)
            if missing:
                problem = _fetch(services, spec, key, missing, now)
    with services.db.session() as session:
        cached = read_kept(runtime.slices, session, key, start, end, stamps)
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
        return open_text(breaker)
    try:
        source = source_for(services)
        for start, end in cache.runs(stale):
            fetched = source.daily(spec, start, end)
            with services.db.session() as session:
                cache.store(session, key, start, end, fetched, now)
            runtime_for(services).slices.forget(key)
    except (ClientError, BotoCoreError) as exc:
        return failed(breaker, exc)
    except ExportError as exc:
        breaker.release()
        raise CostUnavailable(f"The billing export cannot answer: {exc}") from None
    except SourceFailure as exc:
        log.warning("cost source failed: %s", exc)
        breaker.record_failure(str(exc))
        return f"The cost source is not answering ({exc})"
    breaker.record_success()
    return None


def period_for(query: CostQuery, today: date) -> Period:
    """The days a question covers on `today` (for renderers and the Share button)."""
    return parse_period(query.period, today)
