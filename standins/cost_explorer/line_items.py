"""Cost line items, the raw data the Cost Explorer stand-in aggregates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType


@dataclass(frozen=True)
class LineItem:
    """One day's cost of one usage type, as a Cost and Usage Report would show it.

    `amount` is the unblended cost; every cost metric (blended, amortized, net...) equals
    it here. Amounts must be `Decimal` (or `int`/`str`, converted): floats are refused so
    that totals stay exact.
    """

    usage_date: date
    account_id: str
    region: str
    service: str
    usage_type: str
    amount: Decimal
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    record_type: str = "Usage"
    currency: str = "USD"
    usage_quantity: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("amount", "usage_quantity"):
            value = getattr(self, name)
            if isinstance(value, (float, bool)):
                raise TypeError(f"LineItem.{name} must be a Decimal, not {type(value).__name__}")
            if not isinstance(value, Decimal):
                object.__setattr__(self, name, Decimal(str(value)))
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def tag(self, key: str) -> str:
        """The value of tag `key`, or "" when the item does not carry it (as AWS groups it)."""
        return self.tags.get(key, "")


#: Dimensions the stand-in can filter and group on, and how each is read from an item.
DIMENSION_GETTERS: dict[str, Callable[[LineItem], str]] = {
    "SERVICE": lambda item: item.service,
    "LINKED_ACCOUNT": lambda item: item.account_id,
    "REGION": lambda item: item.region,
    "USAGE_TYPE": lambda item: item.usage_type,
    "RECORD_TYPE": lambda item: item.record_type,
}

#: Every value of the `Dimension` enum in Cost Explorer's API model (for error messages).
KNOWN_DIMENSIONS = frozenset(
    {
        "AZ",
        "INSTANCE_TYPE",
        "LINKED_ACCOUNT",
        "PAYER_ACCOUNT",
        "LINKED_ACCOUNT_NAME",
        "OPERATION",
        "PURCHASE_TYPE",
        "REGION",
        "SERVICE",
        "SERVICE_CODE",
        "USAGE_TYPE",
        "USAGE_TYPE_GROUP",
        "RECORD_TYPE",
        "OPERATING_SYSTEM",
        "TENANCY",
        "SCOPE",
        "PLATFORM",
        "SUBSCRIPTION_ID",
        "LEGAL_ENTITY_NAME",
        "DEPLOYMENT_OPTION",
        "DATABASE_ENGINE",
        "CACHE_ENGINE",
        "INSTANCE_TYPE_FAMILY",
        "BILLING_ENTITY",
        "RESERVATION_ID",
        "RESOURCE_ID",
        "RIGHTSIZING_TYPE",
        "SAVINGS_PLANS_TYPE",
        "SAVINGS_PLAN_ARN",
        "PAYMENT_OPTION",
        "AGREEMENT_END_DATE_TIME_AFTER",
        "AGREEMENT_END_DATE_TIME_BEFORE",
        "INVOICING_ENTITY",
        "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
        "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
        "PRODUCT_ATTRIBUTE",
    }
)
