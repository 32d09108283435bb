"""The one list of finding kinds: adding a kind is its module plus one line here.

Kinds live beside the domain they belong to (`bot/orphans/kinds/`, `bot/advice/`), above
this kernel; the kernel names their modules and imports them on first use (like Cloud
Custodian's resource map), so no package below the kinds imports them and no import
cycle forms. Each module registers its kind(s) with `@register` from `bot.findings.model`.
"""

from __future__ import annotations

import importlib
import threading

from bot.findings.model import KINDS, FindingKind

#: Every module that registers finding kinds (one line per kind module).
KIND_MODULES: tuple[str, ...] = (
    "bot.orphans.kinds.volumes",
    "bot.orphans.kinds.addresses",
    "bot.orphans.kinds.load_balancers",
    "bot.orphans.kinds.snapshots",
    "bot.orphans.kinds.stopped_instances",
    "bot.advice.kinds.rightsizing",
    "bot.advice.kinds.gp2_volumes",
    "bot.advice.kinds.bucket_lifecycle",
    "bot.advice.kinds.compute_spot",
    "bot.advice.kinds.compute_ecs",
    "bot.tags.kind",
)

_lock = threading.Lock()


def load_kinds() -> dict[str, FindingKind]:
    """Import every kind module (their decorators fill the registry); the registry."""
    with _lock:
        for module in KIND_MODULES:
            importlib.import_module(module)
    return KINDS


def family(name: str) -> dict[str, FindingKind]:
    """The kinds a listing family shows (orphans, rightsize, storage, compute)."""
    return {k: v for k, v in load_kinds().items() if v.family == name}


def kind_of_finding(finding_kind: str) -> FindingKind | None:
    """The registered kind whose scan produces findings of `finding_kind`."""
    for kind in load_kinds().values():
        if finding_kind in kind.finding_kinds():
            return kind
    return None


def every_action() -> dict[str, tuple[str, ...]]:
    """Action name → the kinds offering it (for the IAM policy check)."""
    offered: dict[str, list[str]] = {}
    for kind in load_kinds().values():
        for action in kind.offered_actions():
            offered.setdefault(action, []).append(kind.name)
    return {a: tuple(k) for a, k in offered.items()}
