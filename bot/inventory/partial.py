"""A scan that read only part of its target keeps the last good findings of the rest.

A kind names the resource types it could not read in `extras[PART_FAILURES]` (say, load
balancers AccessDenied while volumes listed fine). Those types' findings from the stored
scan are kept beside the new ones, and `extras[KEPT]` says since when (the scan that last
read each type), so a listing can say how old they are. Types read again are fresh.
"""

from __future__ import annotations

from typing import Any

from bot.findings.model import PART_FAILURES, Finding
from bot.inventory.store import StoredScan

#: Extras key: {resource type: ISO time of the scan its kept findings come from}.
KEPT = "kept"


def keep_last_good(
    previous: StoredScan | None, findings: list[Finding], extras: dict[str, Any]
) -> tuple[list[Finding], dict[str, Any]]:
    """`findings` plus the stored findings of every type this scan could not read."""
    failed = {str(part[0]) for part in extras.get(PART_FAILURES, []) if part}
    if not failed or previous is None or previous.scanned_at is None:
        return findings, extras
    earlier: dict[str, Any] = dict(previous.extras.get(KEPT, {}))
    kept = [f for f in previous.findings if f.resource_type in failed]
    since = {
        t: earlier.get(t) or previous.scanned_at.isoformat()
        for t in sorted({f.resource_type for f in kept})
    }
    return findings + kept, {**extras, KEPT: since}
