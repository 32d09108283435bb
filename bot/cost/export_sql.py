"""The SQL the export sources run: one dialect that DuckDB and Athena (Trino) both accept.

Every query reads a relation of a FOCUS 1.x or CUR 2.0 export and returns one row per
(day, currency, group 1, group 2) with the exact sum as DECIMAL. Only functions both
engines have are used: CAST, SUBSTR, COALESCE, LOWER, CASE, SUM, and for tags
`json_extract_scalar` (Trino; the DuckDB connection defines a macro of that name) on a
JSON text column or `element_at` on a MAP column. Values are passed as SQL string
literals (quotes doubled), never formatted into identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Exact sums: 26 integer digits and 12 decimals (FOCUS exports carry up to 11).
DECIMAL_TYPE = "DECIMAL(38, 12)"

FOCUS, CUR2 = "focus", "cur2"

#: Columns a file must have to be read as each kind (the rest are optional).
REQUIRED = {
    FOCUS: (
        "BilledCost",
        "BillingCurrency",
        "ChargePeriodStart",
        "ServiceName",
        "SubAccountId",
    ),
    CUR2: (
        "line_item_usage_start_date",
        "line_item_unblended_cost",
        "line_item_usage_account_id",
        "line_item_currency_code",
    ),
}

#: Columns the queries read that an export may lack (read as NULL when absent).
OPTIONAL = {
    FOCUS: (
        "ChargeCategory",
        "ChargeDescription",
        "EffectiveCost",
        "ListCost",
        "ProviderName",
        "RegionId",
        "Tags",
    ),
    CUR2: (
        "line_item_line_item_type",
        "line_item_product_code",
        "line_item_usage_type",
        "pricing_public_on_demand_cost",
        "product_region_code",
        "product_servicecode",
        "reservation_effective_cost",
        "resource_tags",
        "savings_plan_savings_plan_effective_cost",
    ),
}

#: metric name in finops.yml -> column, per kind.
METRIC_COLUMNS = {
    FOCUS: {"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"},
    CUR2: {
        "billed": "line_item_unblended_cost",
        "effective": "COALESCE(reservation_effective_cost, "
        "savings_plan_savings_plan_effective_cost, line_item_unblended_cost)",
        "list": "COALESCE(pricing_public_on_demand_cost, line_item_unblended_cost)",
    },
}

#: The columns each metric reads, first non-NULL wins (METRIC_COLUMNS spelled as parts).
METRIC_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    FOCUS: {"billed": ("BilledCost",), "effective": ("EffectiveCost",), "list": ("ListCost",)},
    CUR2: {
        "billed": ("line_item_unblended_cost",),
        "effective": (
            "reservation_effective_cost",
            "savings_plan_savings_plan_effective_cost",
            "line_item_unblended_cost",
        ),
        "list": ("pricing_public_on_demand_cost", "line_item_unblended_cost"),
    },
}

#: FOCUS ChargeCategory -> CUR 2.0 line_item_line_item_type values.
CUR_LINE_TYPES = {
    "Usage": ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"),
    "Purchase": ("Fee", "RIFee", "SavingsPlanUpfrontFee", "SavingsPlanRecurringFee"),
    "Tax": ("Tax",),
    "Credit": ("Credit",),
    "Adjustment": ("Refund", "BundledDiscount", "Discount", "EdpDiscount", "SavingsPlanNegation"),
}


@dataclass(frozen=True)
class Schema:
    """How to read one export: its kind and how its tags are stored (JSON text or MAP)."""

    kind: str = FOCUS
    tags_form: str = "json"  # json | map
    has_provider: bool = True
    #: Optional columns the files lack: read as NULL in the query itself (a view adding
    #: NULL columns around the scan made DuckDB three times slower over 10M rows).
    absent: frozenset[str] = frozenset()


def column(schema: Schema, name: str) -> str:
    """A column of the export, or NULL when this export lacks it."""
    return "NULL" if name in schema.absent else name


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def tag_value(schema: Schema, key: str) -> str:
    """The value of tag `key` (user tags as written, or with AWS's `user:` prefix)."""
    tags = "Tags" if schema.kind == FOCUS else "resource_tags"
    if tags in schema.absent:
        return "''"
    keys = [key, f"user:{key}"] if schema.kind == FOCUS else [f"user_{key}", key]
    if schema.tags_form == "map":
        parts = [f"element_at({tags}, {literal(k)})" for k in keys]
    else:
        parts = [f"json_extract_scalar({tags}, {literal(_json_path(k))})" for k in keys]
    return f"COALESCE({', '.join(parts)}, '')"


def _json_path(key: str) -> str:
    return '$["' + key.replace("\\", "\\\\").replace('"', '\\"') + '"]'


def dimension(schema: Schema, name: str, team_tag: str) -> str:
    """The SQL expression for a grouping dimension."""
    if name == "team":
        return tag_value(schema, team_tag)
    if name.startswith("tag:"):
        return tag_value(schema, name[4:])

    def c(name: str) -> str:
        return column(schema, name)

    if schema.kind == FOCUS:
        columns = {
            "service": "COALESCE(ServiceName, '')",
            "account": "COALESCE(SubAccountId, '')",
            "region": f"COALESCE({c('RegionId')}, 'global')",
            "provider": f"COALESCE({c('ProviderName')}, '')" if schema.has_provider else "'AWS'",
            "usage-type": f"COALESCE({c('ChargeDescription')}, '')",
        }
    else:
        columns = {
            "service": f"COALESCE({c('product_servicecode')}, {c('line_item_product_code')}, '')",
            "account": "COALESCE(line_item_usage_account_id, '')",
            "region": f"COALESCE({c('product_region_code')}, 'global')",
            "provider": "'AWS'",
            "usage-type": f"COALESCE({c('line_item_usage_type')}, '')",
        }
    return columns[name]


def day_expression(schema: Schema) -> str:
    """The charge's day (UTC) as a DATE, whatever type the timestamp column has."""
    column = "ChargePeriodStart" if schema.kind == FOCUS else "line_item_usage_start_date"
    return f"CAST(SUBSTR(CAST({column} AS VARCHAR), 1, 10) AS DATE)"


def cost_expression(schema: Schema, metric: str) -> str:
    """The metric's amount as an exact DECIMAL (absent columns left out of a COALESCE)."""
    parts = [column(schema, name) for name in METRIC_PARTS[schema.kind][metric]]
    present = [part for part in parts if part != "NULL"] or ["NULL"]
    amount = present[0] if len(present) == 1 else f"COALESCE({', '.join(present)})"
    return f"CAST({amount} AS {DECIMAL_TYPE})"


def _exclusion(schema: Schema, categories: Sequence[str]) -> str | None:
    if not categories:
        return None
    if schema.kind == FOCUS:
        values = ", ".join(literal(c) for c in categories)
        return f"COALESCE({column(schema, 'ChargeCategory')}, '') NOT IN ({values})"
    types = [t for c in categories for t in CUR_LINE_TYPES.get(c, (c,))]
    values = ", ".join(literal(t) for t in types)
    return f"COALESCE({column(schema, 'line_item_line_item_type')}, '') NOT IN ({values})"


def daily_query(
    relation: str,
    schema: Schema,
    *,
    groups: tuple[str, str],
    filters: Iterable[tuple[str, str]],
    start: str,
    end: str,
    metric: str,
    exclude: Sequence[str],
    team_tag: str,
) -> str:
    """Daily sums over [start, end) (ISO dates) grouped by two dimensions and currency.

    Columns: day (DATE), currency, key1, key2, amount (DECIMAL). Team and region filters
    compare case-insensitively, as `/cost` does.
    """
    day = day_expression(schema)
    key1 = dimension(schema, groups[0], team_tag)
    key2 = dimension(schema, groups[1], team_tag)
    currency_column = "BillingCurrency" if schema.kind == FOCUS else "line_item_currency_code"
    where = [
        f"{day} >= DATE {literal(start)}",
        f"{day} < DATE {literal(end)}",
    ]
    for name, value in filters:
        expression = dimension(schema, name, team_tag)
        if name in ("team", "region"):
            where.append(f"LOWER({expression}) = {literal(value.lower())}")
        else:
            where.append(f"{expression} = {literal(value)}")
    excluded = _exclusion(schema, exclude)
    if excluded:
        where.append(excluded)
    return (
        f"SELECT {day} AS day, COALESCE({currency_column}, '') AS currency, "
        f"{key1} AS key1, {key2} AS key2, "
        f"SUM({cost_expression(schema, metric)}) AS amount "
        f"FROM {relation} WHERE {' AND '.join(where)} "
        "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )


def history_query(
    relation: str,
    schema: Schema,
    *,
    filters: Iterable[tuple[str, str]],
    start: str,
    end: str,
    metric: str,
    exclude: Sequence[str],
    team_tag: str,
) -> str:
    """Daily totals over [start, end) for the forecast (groups: none)."""
    inner = daily_query(
        relation,
        schema,
        groups=("provider", "provider"),
        filters=filters,
        start=start,
        end=end,
        metric=metric,
        exclude=exclude,
        team_tag=team_tag,
    )
    return (
        f"SELECT day, currency, SUM(amount) AS amount FROM ({inner}) AS daily "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
