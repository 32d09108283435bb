"""Daily costs for the anomaly job, read through the `/cost` cache.

The job asks the same cached slices as `/cost` (team x service per day), so a run within
the cache's TTL after `/cost` or another run costs no Cost Explorer request.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from bot.anomalies.recommend import Contributor
from bot.cost.service import daily_costs
from bot.services import Services

SeriesKey = tuple[str | None, str]  # (team, or None when untagged; service)


def _account_filter(account: str | None) -> list[tuple[str, str]]:
    return [] if account is None else [("account", account)]


def daily_costs_by_team_service(
    services: Services, start: date, end: date, *, account: str | None = None
) -> dict[SeriesKey, list[tuple[date, Decimal]]]:
    """Cost per (team, service) per day over [start, end), missing days as 0."""
    data = daily_costs(
        services, group=("team", "service"), start=start, end=end, filters=_account_filter(account)
    )
    rows: dict[date, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for day, team, service, amount in data.rows:
        rows[day][(team, service)] = rows[day].get((team, service), Decimal(0)) + amount
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    keys = {key for amounts in rows.values() for key in amounts}
    series: dict[SeriesKey, list[tuple[date, Decimal]]] = {}
    for team, service in sorted(keys):
        series[(team or None, service)] = [
            (day, rows.get(day, {}).get((team, service), Decimal(0))) for day in days
        ]
    return series


def contributors(
    services: Services,
    *,
    team: str | None,
    service: str,
    account: str | None,
    day: date,
    limit: int = 5,
) -> list[Contributor]:
    """What grew most on `day` against the same weekday a week before, by usage type.

    One cached slice by region and usage type, and one by account when the series spans
    accounts (untagged spend: team "").
    """
    filters = [("team", team or ""), ("service", service), *_account_filter(account)]
    before = day - timedelta(days=7)

    def by(dimension: str) -> dict[date, dict[tuple[str, str], Decimal]]:
        result: dict[date, dict[tuple[str, str], Decimal]] = defaultdict(dict)
        for wanted in (before, day):
            data = daily_costs(
                services,
                group=(dimension, "usage-type"),
                start=wanted,
                end=wanted + timedelta(days=1),
                filters=filters,
            )
            for when, key1, key2, amount in data.rows:
                result[when][(key1, key2)] = result[when].get((key1, key2), 0) + amount
        return result

    regions = by("region")
    owners: dict[str, str] = {}
    if account is None:
        accounts = by("account")
        growth: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for (acct, usage), amount in accounts.get(day, {}).items():
            growth[(acct, usage)] += amount - accounts.get(before, {}).get((acct, usage), 0)
        for (acct, usage), _ in sorted(growth.items(), key=lambda kv: kv[1]):
            owners[usage] = acct  # the account where it grew most wins
    now, then = regions.get(day, {}), regions.get(before, {})
    items = [
        Contributor(
            usage_type=usage,
            region=region,
            account=account or owners.get(usage, "—"),
            amount=amount,
            before=then.get((region, usage), Decimal(0)),
        )
        for (region, usage), amount in now.items()
    ]
    items.sort(key=lambda c: c.increase, reverse=True)
    return [c for c in items if c.increase > 0][:limit]
