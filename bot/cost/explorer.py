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
#: cost.metric -> (GetCostAndUsage metric, GetCostForecast metric).
METRICS = {
    "billed": ("UnblendedCost", "UNBLENDED_COST"),
    "effective": ("AmortizedCost", "AMORTIZED_COST"),
    "net": ("NetUnblendedCost", "NET_UNBLENDED_COST"),
}
#: FOCUS ChargeCategory (cost.exclude_charge_categories) -> Cost Explorer RECORD_TYPE values.
RECORD_TYPES = {
    "Usage": ("Usage",),
    "Purchase": ("RIFee", "SavingsPlanUpfrontFee", "SavingsPlanRecurringFee", "Fee"),
    "Tax": ("Tax",),
    "Credit": ("Credit",),
    "Adjustment": ("Refund",),
}
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

    def key(self, team_tag: str, source: str = "") -> str:
        """A stable id for the cache (the team tag, and the source unless it is the
        default Cost Explorer query, are part of what was asked)."""
        parts: list[Any] = [team_tag, list(self.groups), list(self.filters)]
        text = json.dumps([*parts, source] if source else parts)
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


def filter_expression(
    filters: Iterable[tuple[str, str]], team_tag: str, exclude: Iterable[str] = ()
) -> dict[str, Any] | None:
    """A Cost Explorer `Expression` that keeps only spend matching every (dimension, value),
    leaving out the RECORD_TYPEs of the excluded FOCUS charge categories."""
    parts: list[dict[str, Any]] = []
    record_types = [t for c in exclude for t in RECORD_TYPES.get(c, (c,))]
    if record_types:
        parts.append({"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": record_types}}})
    for dimension, value in filters:
        if dimension == "provider":
            continue  # Cost Explorer knows only AWS (CostExplorer.daily answers others)
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

    name = "cost_explorer"

    def __init__(
        self,
        client: Any,
        *,
        team_tag: str,
        metric: str = "billed",
        exclude: Iterable[str] = (),
    ) -> None:
        self._client = attach_counter(client)
        self._team_tag = team_tag
        self.metric = metric
        self.exclude = tuple(exclude)

    @property
    def fingerprint(self) -> str:
        """'' for the original default (UnblendedCost, nothing excluded): same cache keys."""
        if self.metric == "billed" and not self.exclude:
            return ""
        return f"{self.name}|{self.metric}|{','.join(self.exclude)}"

    def metric_label(self) -> str:
        """The metric as `/cost` names it."""
        return f"{self.metric} cost ({METRICS[self.metric][0]})"

    def daily(self, spec: SliceSpec, start: date, end: date) -> list[DayCost]:
        """Daily cost for days [start, end), following NextPageToken to the last page."""
        # Cost Explorer knows only AWS: a "provider" grouping is the constant "AWS".
        asked = [d for d in spec.groups if d != "provider"]
        definitions = [group_definition(d, self._team_tag) for d in asked]
        metric = METRICS[self.metric][0]
        params: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": [metric],
        }
        if definitions:
            params["GroupBy"] = definitions
        if any(d == "provider" and v != "AWS" for d, v in spec.filters):
            return []
        expression = filter_expression(spec.filters, self._team_tag, self.exclude)
        if expression is not None:
            params["Filter"] = expression
        days: dict[date, DayCost] = {}
        while True:
            page = self._client.get_cost_and_usage(**params)
            for result in page.get("ResultsByTime", []):
                day = date.fromisoformat(result["TimePeriod"]["Start"][:10])
                entry = days.setdefault(day, DayCost(day, bool(result.get("Estimated"))))
                groups = result.get("Groups", [])
                if not definitions and result.get("Total", {}).get(metric):
                    groups = [{"Keys": [], "Metrics": result["Total"]}]
                for group in groups:
                    amount = group["Metrics"][metric]
                    pairs = zip(group["Keys"], definitions, strict=True)
                    found = iter([_group_value(k, d) for k, d in pairs])
                    keys = [("AWS" if d == "provider" else next(found, "")) for d in spec.groups]
                    pair = (keys[0], keys[1])
                    entry.amounts[pair] = entry.amounts.get(pair, Decimal(0)) + Decimal(
                        amount["Amount"]
                    )
                    entry.currency = entry.currency or amount.get("Unit")
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
            "Metric": METRICS[self.metric][1],
        }
        expression = filter_expression(filters, self._team_tag, self.exclude)
        if expression is not None:
            params["Filter"] = expression
        answer = self._client.get_cost_forecast(**params)
        total = answer["Total"]
        return Decimal(total["Amount"]), str(total.get("Unit") or "USD")
