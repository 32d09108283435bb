"""Reading a slice of daily cost through its cache: the database cache (Cost Explorer,
Athena: both bill per query) or, for an export read by DuckDB, the in-memory cache of
export_cache (valid for the export's current files), fetching the days it lacks."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from bot.observability.metrics import count_cache
from bot.services import Services

from . import cache
from .explorer import SliceSpec
from .export_cache import ExportCache
from .export_files import ExportError, SourceFailure
from .export_source import mixed_currencies
from .failures import CostUnavailable, failed, open_text
from .memo import Stamps, read_kept, slice_stamps, stale_in
from .runtime import runtime_for
from .sources import source_for

log = logging.getLogger(__name__)


def slice_key(services: Services, spec: SliceSpec) -> str:
    """The cache key of a slice from the configured source, metric and exclusions."""
    return spec.key(services.config.tags.team, source_for(services).fingerprint)


def load(
    services: Services,
    spec: SliceSpec,
    days: list[date],
    now: datetime,
    *,
    fetch: bool = True,
    stale: list[date] | None = None,
    retries: int = 2,
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
    wanted = set(days)
    memo = export_cache_for(services)
    problem = None
    stamps: Stamps | None = None
    if memo is not None:
        missing = memo.stale_days(key, days)
    else:  # one small query says which days are stale and whether a kept read still holds
        with services.db.session() as session:
            stamps = slice_stamps(session, key, start, end)
        missing = stale_in(stamps, days, freshness, now)
    count_cache(hit=not missing)
    if missing and not fetch and stale is not None:
        stale.extend(missing)
    if missing and fetch:
        stamps = None  # another thread may fetch first: read what is there after the lock
        with runtime.lock_for(key):
            missing = _stale(services, memo, key, days, freshness, now)
            if missing:
                problem = fetch_days(services, spec, key, missing, now, memo)
    if memo is not None:
        cached = memo.read(key, start, end)
        if fetch and problem is None and any(d not in cached.days for d in wanted):
            # The files changed between the fetch and the read (the memo was emptied).
            if retries:
                return load(services, spec, days, now, fetch=True, stale=stale, retries=retries - 1)
            raise CostUnavailable(
                "The billing export's files kept changing while they were read. "
                "Try again in a minute."
            )
    else:
        with services.db.session() as session:
            cached = read_kept(runtime.slices, session, key, start, end, stamps)
    currencies = {d.currency for day, d in cached.days.items() if d.currency and day in wanted}
    if len(currencies) > 1:  # days fetched apart, each in one currency: never added up
        text = mixed_currencies(currencies, start, end)
        raise CostUnavailable(f"The billing export cannot answer: {text}")
    if problem is not None:
        missing = sorted(d for d in days if d not in cached.days)
        if missing:
            raise CostUnavailable(
                f"{problem}. There is no cached data for {missing[0]}"
                + (f" to {missing[-1]}" if len(missing) > 1 else "")
                + " either, so there is no answer yet. Try again in a few minutes."
            )
    return cached, problem


def export_cache_for(services: Services) -> ExportCache | None:
    """The in-memory cache of an export read by DuckDB (None: the database cache serves)."""
    memo = getattr(source_for(services), "memo", None)
    return memo if isinstance(memo, ExportCache) else None


def _stale(
    services: Services,
    memo: ExportCache | None,
    key: str,
    days: list[date],
    freshness: cache.Freshness,
    now: datetime,
) -> list[date]:
    if memo is not None:
        return memo.stale_days(key, days)
    with services.db.session() as session:
        return cache.stale_days(session, key, days, freshness, now)


def fetch_days(
    services: Services,
    spec: SliceSpec,
    key: str,
    stale: list[date],
    now: datetime,
    memo: ExportCache | None = None,
) -> str | None:
    """Fetch the stale days into the cache; a problem text when the source failed."""
    breaker = runtime_for(services).breaker
    if not breaker.allow():
        return open_text(breaker)
    try:
        source = source_for(services)
        for start, end in cache.runs(stale):
            fetched = source.daily(spec, start, end)
            if memo is not None:
                memo.store(key, start, end, fetched, now)
                continue
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
