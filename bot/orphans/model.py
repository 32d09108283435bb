"""Moved to `bot.findings.model` (waste and advice are one concept); kept for imports.

`load_kinds()` here still answers the waste kinds only (what `/orphans` lists and what
the remediation service re-checks by kind); `bot.findings.registry.load_kinds()` has all.
"""

from __future__ import annotations

from bot.findings.model import (
    CREATED_BY_TAG,
    KINDS,
    RESTORE_UNTIL_TAG,
    Finding,
    FindingKind,
    NotEligible,
    TargetContext,
    register,
    tag_dict,
)


def load_kinds() -> dict[str, FindingKind]:
    """The registered waste kinds (family "orphans")."""
    from bot.findings.registry import family

    return family("orphans")


__all__ = [
    "CREATED_BY_TAG",
    "KINDS",
    "RESTORE_UNTIL_TAG",
    "Finding",
    "FindingKind",
    "NotEligible",
    "TargetContext",
    "load_kinds",
    "register",
    "tag_dict",
]
