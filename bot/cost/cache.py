"""The database cache of Cost Explorer results.

A day of a slice is *final* once it was fetched more than `settle_days` after it ended:
it is never fetched again. Other cached days are fresh for `ttl`, then refetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from storage.models_cost import CostDay, CostForecast, CostRow

from .explorer import DayCost

COST_ROWS: Table = CostRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Freshness:
    """How long cached days stay good."""

    settle_days: int
    ttl: timedelta

    def is_fresh(self, day: date, fetched_at: datetime, now: datetime) -> bool:
        """Final (fetched after it settled) or fetched within the TTL."""
        fetched = aware(fetched_at)
        if (fetched.date() - day).days > self.settle_days:
            return True
        return now - fetched < self.ttl


@dataclass
class CachedSlice:
    """What the cache holds for a slice over some days."""

    days: dict[date, CostDay]
    rows: list[tuple[date, str, str, Decimal]]

    def currency(self) -> str:
        """The currency Cost Explorer reported (USD when no day said)."""
        return next((d.currency for d in self.days.values() if d.currency), "USD")

    def oldest_fetch(self) -> datetime | None:
        """When the stalest of these days was fetched."""
        times = [aware(d.fetched_at) for d in self.days.values()]
        return min(times) if times else None


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stale_days(
    session: Session, key: str, days: Iterable[date], freshness: Freshness, now: datetime
) -> list[date]:
    """The days of `days` that must be (re)fetched, in order."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    found = {
        row.day: row
        for row in session.scalars(
            select(CostDay).where(
                CostDay.slice_key == key, CostDay.day >= wanted[0], CostDay.day <= wanted[-1]
            )
        )
    }
    return [
        day
        for day in wanted
        if day not in found or not freshness.is_fresh(day, found[day].fetched_at, now)
    ]


def runs(days: list[date], max_gap: int = 31) -> list[tuple[date, date]]:
    """Sorted days as [start, end) ranges, joining ranges less than `max_gap` days apart."""
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and (day - ranges[-1][1]).days < max_gap:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


def store(
    session: Session, key: str, start: date, end: date, fetched: list[DayCost], now: datetime
) -> None:
    """Replace the slice's cached days [start, end) with what was fetched."""
    session.execute(
        delete(CostRow).where(CostRow.slice_key == key, CostRow.day >= start, CostRow.day < end)
    )
    session.execute(
        delete(CostDay).where(CostDay.slice_key == key, CostDay.day >= start, CostDay.day < end)
    )
    by_day = {entry.day: entry for entry in fetched}
    rows: list[dict[str, object]] = []
    day = start
    while day < end:
        entry = by_day.get(day) or DayCost(day, estimated=False)
        session.add(
            CostDay(
                slice_key=key,
                day=day,
                fetched_at=now,
                estimated=entry.estimated,
                currency=entry.currency,
            )
        )
        rows += [
            {"slice_key": key, "day": day, "key1": k1, "key2": k2, "amount": str(amount)}
            for (k1, k2), amount in entry.amounts.items()
        ]
        day += timedelta(days=1)
    if rows:  # one Core executemany (the ORM's bulk insert took 4x as long for 43k rows)
        session.flush()
        session.connection().execute(insert(COST_ROWS), rows)


def read(session: Session, key: str, start: date, end: date) -> CachedSlice:
    """Everything cached for the slice over [start, end)."""
    days = {
        row.day: row
        for row in session.scalars(
            select(CostDay).where(CostDay.slice_key == key, CostDay.day >= start, CostDay.day < end)
        )
    }
    table = COST_ROWS.c
    query = select(table.day, table.key1, table.key2, table.amount).where(
        table.slice_key == key, table.day >= start, table.day < end
    )
    result = session.connection().execute(query)  # Core rows: no ORM loading per row
    rows = [(day, k1, k2, Decimal(amount)) for day, k1, k2, amount in result]
    return CachedSlice(days=days, rows=rows)


def cached_forecast(session: Session, key: str, made_on: date) -> CostForecast | None:
    """The forecast made on `made_on` for that filter set, if cached."""
    return session.get(CostForecast, (key, made_on))


def store_forecast(
    session: Session,
    key: str,
    made_on: date,
    now: datetime,
    *,
    amount: Decimal | None,
    currency: str | None,
    note: str = "",
) -> None:
    """Remember a forecast (or that none could be made, with why)."""
    row = session.get(CostForecast, (key, made_on))
    if row is None:
        row = CostForecast(forecast_key=key, made_on=made_on)
        session.add(row)
    row.fetched_at = now
    row.amount = None if amount is None else str(amount)
    row.currency = currency
    row.note = note[:500]
