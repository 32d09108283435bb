"""Moved to `bot.findings.prices` (the price table is shared by every kind); kept for imports."""

from bot.findings.prices import (
    FALLBACK_REGION,
    GP3_FREE_IOPS,
    GP3_FREE_THROUGHPUT,
    PRICES_PATH,
    Estimate,
    PriceTable,
    cents,
    default_prices,
    format_money,
)

__all__ = [
    "FALLBACK_REGION",
    "GP3_FREE_IOPS",
    "GP3_FREE_THROUGHPUT",
    "PRICES_PATH",
    "Estimate",
    "PriceTable",
    "cents",
    "default_prices",
    "format_money",
]
