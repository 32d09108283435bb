"""GetCostAndUsage: filter, bucket, group and sum line items exactly as Decimals."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .dataset import Dataset
from .errors import validation
from .filters import compile_filter, dimension_getter
from .line_items import LineItem
from .paging import PageTokens
from .periods import buckets, check_granularity, check_history_period, parse_period

#: Cost metrics (all equal to the line item's amount here), in both spellings AWS accepts.
COST_METRICS = frozenset(
    {
        "UnblendedCost",
        "BlendedCost",
        "AmortizedCost",
        "NetUnblendedCost",
        "NetAmortizedCost",
        "BilledCost",
        "ContractedCost",
        "ListCost",
        "PublicEquivalentBilledCost",
        "PublicOnDemandCost",
    }
)
QUANTITY_METRICS = frozenset({"UsageQuantity", "NormalizedUsageAmount"})
_SNAKE = {
    "".join("_" + c if c.isupper() else c for c in name).lstrip("_").upper(): name
    for name in COST_METRICS | QUANTITY_METRICS
}

#: Exact sums: 28 digits would do for any bill, but leave room.
_CONTEXT = decimal.Context(prec=50)


def metric_kind(name: Any) -> str:
    """Whether a metric is a "cost" or a "quantity" for a metric name (CamelCase or UPPER_SNAKE)."""
    canonical = _SNAKE.get(name, name) if isinstance(name, str) else None
    if canonical in COST_METRICS:
        return "cost"
    if canonical in QUANTITY_METRICS:
        return "quantity"
    valid = ", ".join(sorted(COST_METRICS | QUANTITY_METRICS))
    raise validation(f"Metric {name!r} is not valid. Valid values: {valid}")


def format_amount(value: Decimal) -> str:
    """An amount as AWS writes it: a plain decimal string without trailing zeros."""
    if value == 0:
        return "0"
    text = format(value.normalize(_CONTEXT), "f")
    return text


def estimated_since(today: date, estimated_days: int) -> date:
    """The first day whose costs are still estimates."""
    return today - timedelta(days=estimated_days)


@dataclass
class _GroupBy:
    definitions: list[dict[str, str]]
    readers: list[Callable[[LineItem], str]]


def _tag_reader(key: str) -> Callable[[LineItem], str]:
    """Tag group keys as AWS writes them: "Team$payments", and "Team$" when untagged."""

    def read(item: LineItem) -> str:
        return f"{key}${item.tag(key)}"

    return read


def _parse_group_by(value: Any) -> _GroupBy:
    if value is None:
        return _GroupBy([], [])
    if not isinstance(value, list):
        raise validation("GroupBy must be a list")
    if len(value) > 2:
        raise validation("You can only group by up to 2 different groups (GroupBy)")
    definitions: list[dict[str, str]] = []
    readers: list[Callable[[LineItem], str]] = []
    for i, spec in enumerate(value):
        where = f"GroupBy[{i}]"
        if not isinstance(spec, dict):
            raise validation(f"{where} must be a GroupDefinition")
        kind, key = spec.get("Type"), spec.get("Key")
        if not isinstance(key, str) or not key:
            raise validation(f"{where}.Key is required")
        if kind == "DIMENSION":
            readers.append(dimension_getter(key, where))
        elif kind == "TAG":
            readers.append(_tag_reader(key))
        elif kind in ("COST_CATEGORY", "PRODUCT_ATTRIBUTE"):
            raise validation(f"{where}: {kind} grouping is not supported by this stand-in")
        else:
            raise validation(f"{where}.Type must be DIMENSION, TAG or COST_CATEGORY")
        definition = {"Type": str(kind), "Key": key}
        if definition in definitions:
            raise validation(f"{where}: duplicate group definition {kind} {key}")
        definitions.append(definition)
    return _GroupBy(definitions, readers)


def _metrics_json(
    names: list[str], kinds: list[str], sums: tuple[Decimal, Decimal], currency: str
) -> dict[str, dict[str, str]]:
    result = {}
    for name, kind in zip(names, kinds, strict=True):
        if kind == "cost":
            result[name] = {"Amount": format_amount(sums[0]), "Unit": currency}
        else:
            result[name] = {"Amount": format_amount(sums[1]), "Unit": "N/A"}
    return result


def get_cost_and_usage(
    params: dict[str, Any],
    *,
    dataset: Dataset,
    today: date,
    estimated_days: int,
    page_size: int,
    tokens: PageTokens,
    account_names: Mapping[str, str],
) -> dict[str, Any]:
    """Answer one GetCostAndUsage request (one page of it)."""
    if "TimePeriod" not in params:
        raise validation("TimePeriod is required")
    period = parse_period(params["TimePeriod"])
    check_history_period(period, today)
    granularity = check_granularity(params.get("Granularity"))
    names = params.get("Metrics")
    if not isinstance(names, list) or not names:
        raise validation("Metrics is required and must not be empty")
    kinds = [metric_kind(name) for name in names]
    group_by = _parse_group_by(params.get("GroupBy"))
    predicate = compile_filter(params.get("Filter"))
    fingerprint = tokens.fingerprint("GetCostAndUsage", params)
    offset = tokens.offset(params.get("NextPageToken"), fingerprint)

    estimated_from = estimated_since(today, estimated_days)
    zero = (Decimal(0), Decimal(0))
    # Units of paging: one per (bucket, group), or one per bucket when there is none.
    units: list[tuple[int, tuple[str, ...] | None, tuple[Decimal, Decimal]]] = []
    result_periods = buckets(period, granularity, today)
    seen_accounts: set[str] = set()
    for index, bucket in enumerate(result_periods):
        groups: dict[tuple[str, ...], tuple[Decimal, Decimal]] = {}
        for item in dataset.items(bucket, predicate):
            key = tuple(read(item) for read in group_by.readers)
            cost, quantity = groups.get(key, zero)
            groups[key] = (
                _CONTEXT.add(cost, item.amount),
                _CONTEXT.add(quantity, item.usage_quantity),
            )
            seen_accounts.add(item.account_id)
        if not group_by.readers:
            units.append((index, None, groups.get((), zero)))
        elif not groups:
            units.append((index, None, zero))
        else:
            units.extend((index, key, groups[key]) for key in sorted(groups))

    if offset < 0 or offset > len(units):
        raise validation("NextPageToken is out of range for this request")
    page = units[offset : offset + page_size]
    results: list[dict[str, Any]] = []
    for index, group_key, sums in page:
        bucket = result_periods[index]
        if not results or results[-1]["_index"] != index:
            results.append(
                {
                    "_index": index,
                    "TimePeriod": bucket.as_json(),
                    "Total": (
                        {}
                        if group_by.readers
                        else _metrics_json(names, kinds, sums, dataset.currency)
                    ),
                    "Groups": [],
                    "Estimated": bucket.end > estimated_from,
                }
            )
        if group_key is not None:
            results[-1]["Groups"].append(
                {
                    "Keys": list(group_key),
                    "Metrics": _metrics_json(names, kinds, sums, dataset.currency),
                }
            )
    for result in results:
        del result["_index"]

    response: dict[str, Any] = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if group_by.definitions:
        response["GroupDefinitions"] = group_by.definitions
    if any(d == {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"} for d in group_by.definitions):
        response["DimensionValueAttributes"] = [
            {"Value": account, "Attributes": {"description": account_names[account]}}
            for account in sorted(seen_accounts)
            if account in account_names
        ]
    if offset + page_size < len(units):
        response["NextPageToken"] = tokens.issue(offset + page_size, fingerprint)
    return response
