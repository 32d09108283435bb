"""Cost Explorer calls: daily cost grouped two ways, and the month-end forecast.

Every HTTP attempt (retries included) is counted through a botocore `before-send` hook,
because AWS bills each one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .metrics import count_request

METRIC = "UnblendedCost"
FORECAST_METRIC = "UNBLENDED_COST"
_DIMENSIONS = {
    "service": "SERVICE",
    "account": "LINKED_ACCOUNT",
    "region": "REGION",
    "usage-type": "USAGE_TYPE",
}
_HOOK_ID = "finops-bot-count-cost-explorer-requests"


@dataclass(frozen=True)
class SliceSpec:
    """One cached Cost Explorer query: DAILY cost grouped by `groups`, narrowed by `filters`.

    `groups` are dimension names (`team`, `service`, `account`, `region`, `usage-type`,
    `tag:KEY`); `filters` are (dimension, value) pairs sent to Cost Explorer.
    """

    groups: tuple[str, str]
    filters: tuple[tuple[str, str], ...] = ()

    def key(self, team_tag: str) -> str:
        """A stable id for the cache (the team tag is part of what was asked)."""
        text = json.dumps([team_tag, list(self.groups), list(self.filters)])
        return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class DayCost:
    """One day of a slice: cost per (group 1, group 2) value pair."""

    day: date
    estimated: bool
    currency: str | None = None
    amounts: dict[tuple[str, str], Decimal] = field(default_factory=dict)


def group_definition(dimension: str, team_tag: str) -> dict[str, str]:
    """The Cost Explorer `GroupDefinition` for a dimension name."""
    if dimension == "team":
        return {"Type": "TAG", "Key": team_tag}
    if dimension.startswith("tag:"):
        return {"Type": "TAG", "Key": dimension[4:]}
    return {"Type": "DIMENSION", "Key": _DIMENSIONS[dimension]}


def filter_expression(filters: Iterable[tuple[str, str]], team_tag: str) -> dict[str, Any] | None:
    """A Cost Explorer `Expression` that keeps only spend matching every (dimension, value)."""
    parts: list[dict[str, Any]] = []
    for dimension, value in filters:
        spec = group_definition(dimension, team_tag)
        if spec["Type"] == "TAG":
            parts.append({"Tags": {"Key": spec["Key"], "Values": [value]}})
        else:
            parts.append({"Dimensions": {"Key": spec["Key"], "Values": [value]}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"And": parts}


def _group_value(key: str, definition: dict[str, str]) -> str:
    """`Team$payments` -> `payments`; `Team$` (untagged) -> ``."""
    if definition["Type"] == "TAG":
        _, _, value = key.partition("$")
        return value
    return key


def _count(**kwargs: Any) -> None:
    event = str(kwargs.get("event_name", ""))
    count_request(event.rsplit(".", 1)[-1] or "unknown")


def attach_counter(client: Any) -> Any:
    """Make `client` count every HTTP attempt it sends (idempotent)."""
    client.meta.events.register("before-send", _count, unique_id=_HOOK_ID)
    return client


class CostExplorer:
    """The two Cost Explorer operations `/cost` needs, on a counted boto3 `ce` client."""

    def __init__(self, client: Any, *, team_tag: str) -> None:
        self._client = attach_counter(client)
        self._team_tag = team_tag

    def daily(self, spec: SliceSpec, start: date, end: date) -> list[DayCost]:
        """Daily cost for days [start, end), following NextPageToken to the last page."""
        definitions = [group_definition(d, self._team_tag) for d in spec.groups]
        params: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": [METRIC],
            "GroupBy": definitions,
        }
        expression = filter_expression(spec.filters, self._team_tag)
        if expression is not None:
            params["Filter"] = expression
        days: dict[date, DayCost] = {}
        while True:
            page = self._client.get_cost_and_usage(**params)
            for result in page.get("ResultsByTime", []):
                day = date.fromisoformat(result["TimePeriod"]["Start"][:10])
                entry = days.setdefault(day, DayCost(day, bool(result.get("Estimated"))))
                for group in result.get("Groups", []):
                    metric = group["Metrics"][METRIC]
                    pairs = zip(group["Keys"], definitions, strict=True)
                    keys = [_group_value(k, d) for k, d in pairs]
                    pair = (keys[0], keys[1] if len(keys) > 1 else "")
                    entry.amounts[pair] = entry.amounts.get(pair, Decimal(0)) + Decimal(
                        metric["Amount"]
                    )
                    entry.currency = entry.currency or metric.get("Unit")
            token = page.get("NextPageToken")
            if not token:
                break
            params["NextPageToken"] = token
        return [days[d] for d in sorted(days)]

    def forecast(
        self, filters: Iterable[tuple[str, str]], start: date, end: date
    ) -> tuple[Decimal, str]:
        """Forecast cost for days [start, end) (start is today): (amount, currency)."""
        params: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "MONTHLY",
            "Metric": FORECAST_METRIC,
        }
        expression = filter_expression(filters, self._team_tag)
        if expression is not None:
            params["Filter"] = expression
        answer = self._client.get_cost_forecast(**params)
        total = answer["Total"]
        return Decimal(total["Amount"]), str(total.get("Unit") or "USD")
