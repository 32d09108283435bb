"""GetDimensionValues and GetTags: which values occur in a period, paged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .cost_and_usage import metric_kind
from .dataset import Dataset
from .errors import validation
from .filters import compile_filter, dimension_getter
from .line_items import LineItem
from .paging import PageTokens
from .periods import check_history_period, parse_period

MAX_RESULTS = 1000


def _values_by_metric(
    operation: str,
    params: dict[str, Any],
    *,
    dataset: Dataset,
    today: date,
    read: Callable[[LineItem], list[str]],
) -> dict[str, tuple[Decimal, Decimal]]:
    if "TimePeriod" not in params:
        raise validation("TimePeriod is required")
    period = parse_period(params["TimePeriod"])
    check_history_period(period, today)
    predicate = compile_filter(params.get("Filter"))
    search = params.get("SearchString")
    if search is not None and not isinstance(search, str):
        raise validation(f"{operation}: SearchString must be a string")
    needle = (search or "").lower()
    found: dict[str, tuple[Decimal, Decimal]] = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for item in dataset.items(period, predicate):
        for value in read(item):
            if needle in value.lower():
                cost, quantity = found[value]
                found[value] = (cost + item.amount, quantity + item.usage_quantity)
    return found


def _metric_of(found: dict[str, tuple[Decimal, Decimal]], index: int) -> Callable[[str], Decimal]:
    def metric(value: str) -> Decimal:
        return found[value][index]

    return metric


def _page(
    operation: str,
    params: dict[str, Any],
    found: dict[str, tuple[Decimal, Decimal]],
    *,
    tokens: PageTokens,
    page_size: int,
) -> tuple[list[str], int, str | None]:
    """Order the values, then cut one page: (values, total, next token)."""
    sort_by = params.get("SortBy")
    if sort_by:
        if not isinstance(sort_by, list) or not all(isinstance(s, dict) for s in sort_by):
            raise validation("SortBy must be a list of SortDefinition")
        ordered = sorted(found)
        for spec in reversed(sort_by):
            index = 0 if metric_kind(spec.get("Key")) == "cost" else 1
            descending = spec.get("SortOrder", "ASCENDING") == "DESCENDING"
            ordered.sort(key=_metric_of(found, index), reverse=descending)
        limit = params.get("MaxResults", MAX_RESULTS)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
            raise validation(f"MaxResults must be between 1 and {MAX_RESULTS}")
        # With SortBy, AWS answers one page of at most MaxResults and no token.
        return ordered[:limit], len(found), None
    if "MaxResults" in params:
        raise validation("MaxResults can only be used together with SortBy")
    ordered = sorted(found)
    fingerprint = tokens.fingerprint(operation, params)
    offset = tokens.offset(params.get("NextPageToken"), fingerprint)
    page = ordered[offset : offset + page_size]
    token = None
    if offset + page_size < len(ordered):
        token = tokens.issue(offset + page_size, fingerprint)
    return page, len(ordered), token


def get_dimension_values(
    params: dict[str, Any],
    *,
    dataset: Dataset,
    today: date,
    tokens: PageTokens,
    page_size: int,
    account_names: Mapping[str, str],
) -> dict[str, Any]:
    """Answer one GetDimensionValues request."""
    context = params.get("Context", "COST_AND_USAGE")
    if context != "COST_AND_USAGE":
        raise validation(f"Context {context!r} is not supported by this stand-in")
    dimension = params.get("Dimension")
    getter = dimension_getter(dimension, "Dimension")
    found = _values_by_metric(
        "GetDimensionValues",
        params,
        dataset=dataset,
        today=today,
        read=lambda item: [getter(item)],
    )
    page, total, token = _page(
        "GetDimensionValues", params, found, tokens=tokens, page_size=page_size
    )
    values = []
    for value in page:
        attributes: dict[str, str] = {}
        if dimension == "LINKED_ACCOUNT" and value in account_names:
            attributes["description"] = account_names[value]
        values.append({"Value": value, "Attributes": attributes})
    response: dict[str, Any] = {
        "DimensionValues": values,
        "ReturnSize": len(values),
        "TotalSize": total,
    }
    if token:
        response["NextPageToken"] = token
    return response


def get_tags(
    params: dict[str, Any],
    *,
    dataset: Dataset,
    today: date,
    tokens: PageTokens,
    page_size: int,
) -> dict[str, Any]:
    """Answer one GetTags request: the tag keys in use, or the values of `TagKey`."""
    tag_key = params.get("TagKey")
    if tag_key is not None and not isinstance(tag_key, str):
        raise validation("TagKey must be a string")

    def read(item: LineItem) -> list[str]:
        if tag_key:
            value = item.tag(tag_key)
            return [value] if value else []
        return list(item.tags)

    found = _values_by_metric("GetTags", params, dataset=dataset, today=today, read=read)
    page, total, token = _page("GetTags", params, found, tokens=tokens, page_size=page_size)
    response: dict[str, Any] = {"Tags": page, "ReturnSize": len(page), "TotalSize": total}
    if token:
        response["NextPageToken"] = token
    return response
