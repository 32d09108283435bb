"""Orphaned resources: paid-for waste, found by registered finding kinds and priced."""

from bot.orphans.model import KINDS, Finding, FindingKind, NotEligible, TargetContext, load_kinds
from bot.orphans.prices import Estimate, PriceTable, default_prices
from bot.orphans.scanner import ScanFailure, ScanFilter, ScanResult, scan, target_context

__all__ = [
    "KINDS",
    "Estimate",
    "Finding",
    "FindingKind",
    "NotEligible",
    "PriceTable",
    "ScanFailure",
    "ScanFilter",
    "ScanResult",
    "TargetContext",
    "default_prices",
    "load_kinds",
    "scan",
    "target_context",
]
