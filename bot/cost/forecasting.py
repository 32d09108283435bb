"""Month-end forecasts: the source's forecast for the rest of the month (Cost Explorer's
API, or the export's daily history), cached per filter set and day."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.services import Services

from . import cache
from .export_files import ExportError, SourceFailure
from .export_source import FORECAST_HISTORY_DAYS, ExportSource
from .failures import CostUnavailable, failed
from .periods import add_months, month_start
from .query import CostQuery
from .report import Forecast
from .runtime import runtime_for
from .sources import source_for


def forecast_key(team_tag: str, filters: dict[str, str], source: str = "") -> str:
    """The cache key of a forecast for a filter set (and source, unless Cost Explorer's)."""
    parts: list[Any] = [team_tag, sorted(filters.items())]
    text = json.dumps([*parts, source] if source else parts)
    return hashlib.sha1(text.encode()).hexdigest()


def forecast(
    services: Services,
    query: CostQuery,
    filters: dict[str, str],
    so_far: Decimal,
    today: date,
    now: datetime,
    *,
    fetch: bool = True,
) -> Forecast:
    """Month end = spend so far + Cost Explorer's forecast for today .. month end (cached)."""
    config = services.config
    team = config.teams.get(query.team) if query.team else None
    budget = team.monthly_budget if team else None
    key = forecast_key(config.tags.team, filters, source_for(services).fingerprint)
    ttl = timedelta(hours=config.cost.ttl_hours)
    with services.db.session() as session:
        row = cache.cached_forecast(session, key, today)
        fresh = row is not None and now - cache.aware(row.fetched_at) < ttl
        amount = Decimal(row.amount) if row and row.amount is not None else None
        note = row.note if row else ""
    if not fresh and fetch:
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
    source = source_for(services)
    note = ""
    try:
        end = add_months(month_start(today), 1)
        if isinstance(source, ExportSource):
            low, amount, high, currency = source.forecast_range(sorted(filters.items()), today, end)
            cur = currency
            note = (
                f"Forecast from the export's daily history: the average day of the last "
                f"{FORECAST_HISTORY_DAYS} days times the {(end - today).days} days left; "
                f"the rest of the month could cost {low} to {high} {cur} (lowest and highest week)."
            )
        else:
            amount, currency = source.forecast(sorted(filters.items()), today, end)
    except (ExportError, SourceFailure) as exc:
        breaker.release()
        return None, f"No forecast: {exc}."
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
            problem = failed(breaker, exc)
        except CostUnavailable as refused:
            problem = str(refused)
        return cached_amount, f"No fresh forecast: {problem}."
    breaker.record_success()
    with services.db.session() as session:
        cache.store_forecast(session, key, today, now, amount=amount, currency=currency, note=note)
    return amount, note
