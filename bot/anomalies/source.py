"""Daily costs for the anomaly job, read through the `/cost` cache.

The job asks the same cached slices as `/cost` (team x service per day), so a run within
the cache's TTL after `/cost` or another run costs no Cost Explorer request.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

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


#: Cost Explorer's region prefixes of usage types (usage types without one are us-east-1's
#: or global).
USAGE_TYPE_REGIONS = {
    "USE1": "us-east-1",
    "USE2": "us-east-2",
    "USW1": "us-west-1",
    "USW2": "us-west-2",
    "CAN1": "ca-central-1",
    "SAE1": "sa-east-1",
    "EU": "eu-west-1",
    "EUW1": "eu-west-1",
    "EUW2": "eu-west-2",
    "EUW3": "eu-west-3",
    "EUC1": "eu-central-1",
    "EUC2": "eu-central-2",
    "EUN1": "eu-north-1",
    "EUS1": "eu-south-1",
    "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2",
    "APN3": "ap-northeast-3",
    "APS1": "ap-southeast-1",
    "APS2": "ap-southeast-2",
    "APS3": "ap-south-1",
    "APE1": "ap-east-1",
    "MES1": "me-south-1",
    "AFS1": "af-south-1",
}
#: Weeks of the same weekday a contributor's expected cost is the median of.
CONTRIBUTOR_WEEKS = 4


def region_of(usage_type: str) -> str:
    """The region a usage type is billed in, from its prefix ("EUW1-BoxUsage:…")."""
    prefix = usage_type.split("-", 1)[0] if "-" in usage_type else ""
    return USAGE_TYPE_REGIONS.get(prefix, "us-east-1 or global")


def contributors(
    services: Services,
    *,
    team: str | None,
    service: str,
    account: str | None,
    day: date,
    limit: int = 5,
) -> list[Contributor]:
    """What drove the anomaly on `day`, largest dollar impact first (top `limit`).

    Like AWS Cost Anomaly Detection's root causes: each contributor is one service x
    linked account x region x usage type, with its expected cost (the median of the same
    weekday over the previous 4 weeks) and its actual cost. One grouped query (by linked
    account and usage type; the region comes from the usage type) over those weeks,
    through the `/cost` cache: counted, and asked again only for days not yet final.
    """
    filters = [("team", team or ""), ("service", service), *_account_filter(account)]
    start = day - timedelta(days=7 * CONTRIBUTOR_WEEKS)
    data = daily_costs(
        services,
        group=("account", "usage-type"),
        start=start,
        end=day + timedelta(days=1),
        filters=filters,
    )
    weekdays = {day - timedelta(days=7 * w) for w in range(1, CONTRIBUTOR_WEEKS + 1)}
    actual: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    history: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for when, acct, usage, amount in data.rows:
        if when == day:
            actual[(acct, usage)] += amount
        elif when in weekdays:
            history[(acct, usage)][when] += amount
    items = []
    for key in set(actual) | set(history):
        past = [history[key].get(w, Decimal(0)) for w in sorted(weekdays)]
        acct, usage = key
        items.append(
            Contributor(
                service=service,
                usage_type=usage,
                region=region_of(usage),
                account=acct or account or "—",
                amount=actual.get(key, Decimal(0)),
                expected=median(past),
            )
        )
    items.sort(key=lambda c: (-c.increase, c.usage_type, c.account))
    return [c for c in items if c.increase > 0][:limit]
