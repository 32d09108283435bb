"""Daily costs for the anomaly job, straight from Cost Explorer (paginated).

A thin adapter until the job reads the `/cost` cache; the job only calls these functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.anomalies.recommend import Contributor
from bot.services import Services

METRIC = "UnblendedCost"
SeriesKey = tuple[str | None, str]  # (team, or None when untagged; service)


def _query(
    services: Services, groups: list[dict[str, str]], start: date, end: date,
    expression: dict[str, Any] | None = None,
) -> dict[date, dict[tuple[str, ...], Decimal]]:
    """DAILY UnblendedCost over [start, end) grouped by `groups`, every page."""
    ce = services.aws.client("ce", region="us-east-1")
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "GroupBy": groups,
    }
    if expression:
        params["Filter"] = expression
    result: dict[date, dict[tuple[str, ...], Decimal]] = defaultdict(dict)
    while True:
        page = ce.get_cost_and_usage(**params)
        for period in page.get("ResultsByTime", []):
            day = date.fromisoformat(period["TimePeriod"]["Start"][:10])
            for group in period.get("Groups", []):
                keys = tuple(k.partition("$")[2] if "$" in k else k for k in group["Keys"])
                amount = Decimal(group["Metrics"][METRIC]["Amount"])
                result[day][keys] = result[day].get(keys, Decimal(0)) + amount
        token = page.get("NextPageToken")
        if not token:
            return result
        params["NextPageToken"] = token


def _and(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    return None if not parts else parts[0] if len(parts) == 1 else {"And": parts}


def _account_filter(account: str | None) -> list[dict[str, Any]]:
    if account is None:
        return []
    return [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}}]


def daily_costs_by_team_service(
    services: Services, start: date, end: date, *, account: str | None = None
) -> dict[SeriesKey, list[tuple[date, Decimal]]]:
    """Cost per (team, service) per day over [start, end), missing days as 0."""
    tag = services.config.tags.team
    groups = [{"Type": "TAG", "Key": tag}, {"Type": "DIMENSION", "Key": "SERVICE"}]
    rows = _query(services, groups, start, end, _and(_account_filter(account)))
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    keys = {key for amounts in rows.values() for key in amounts}
    series: dict[SeriesKey, list[tuple[date, Decimal]]] = {}
    for team, service in sorted(keys):
        series[(team or None, service)] = [
            (day, rows.get(day, {}).get((team, service), Decimal(0))) for day in days
        ]
    return series


def contributors(
    services: Services, *, team: str | None, service: str, account: str | None, day: date,
    limit: int = 5,
) -> list[Contributor]:
    """What grew most on `day` against the same weekday a week before, by usage type.

    One query by region and usage type, and one by account when the series spans accounts.
    """
    tag = services.config.tags.team
    team_filter = (
        {"Tags": {"Key": tag, "Values": [team]}}
        if team else {"Tags": {"Key": tag, "MatchOptions": ["ABSENT"]}}
    )
    parts = [team_filter, {"Dimensions": {"Key": "SERVICE", "Values": [service]}}]
    parts += _account_filter(account)
    before, end = day - timedelta(days=7), day + timedelta(days=1)

    def by(dimension: str) -> dict[date, dict[tuple[str, ...], Decimal]]:
        groups = [{"Type": "DIMENSION", "Key": dimension},
                  {"Type": "DIMENSION", "Key": "USAGE_TYPE"}]
        return _query(services, groups, before, end, _and(parts))

    regions = by("REGION")
    owners: dict[str, str] = {}
    if account is None:
        accounts = by("LINKED_ACCOUNT")
        growth: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
        for (acct, usage), amount in accounts.get(day, {}).items():
            growth[(acct, usage)] += amount - accounts.get(before, {}).get((acct, usage), 0)
        for (acct, usage), _ in sorted(growth.items(), key=lambda kv: kv[1]):
            owners[usage] = acct  # the account where it grew most wins
    now, then = regions.get(day, {}), regions.get(before, {})
    items = [
        Contributor(
            usage_type=usage, region=region, account=account or owners.get(usage, "—"),
            amount=amount, before=then.get((region, usage), Decimal(0)),
        )
        for (region, usage), amount in now.items()
    ]
    items.sort(key=lambda c: c.increase, reverse=True)
    return [c for c in items if c.increase > 0][:limit]
