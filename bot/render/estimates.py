"""The "≈" note: said only when a line shown is marked ≈, naming the regions it concerns."""

from __future__ import annotations

from collections.abc import Iterable

from bot.orphans.model import Finding

FALLBACK_REGION = "us-east-1"


def approx_note(findings: Iterable[Finding], *, table: str = "price table") -> str:
    """`≈ eu-north-1 estimated with us-east-1 prices (not in the price table)`, or ""
    when no finding shown is approximate."""
    regions = sorted({f.region for f in findings if f.approximate})
    if not regions:
        return ""
    return f"≈ {', '.join(regions)} estimated with {FALLBACK_REGION} prices (not in the {table})"
