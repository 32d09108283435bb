"""Helpers for listing answers, which first come from the stored inventory and are
replaced in place when a refresh lands."""

from __future__ import annotations

import json
from typing import Any

PENDING_MARKS = ("refreshing…", "scanning…")


def settled(message: dict[str, Any]) -> bool:
    """True when a listing answer is final (no refresh under way), or is not a listing."""
    shown = json.dumps(message.get("blocks") or [], ensure_ascii=False) + str(message.get("text"))
    return not any(mark in shown for mark in PENDING_MARKS)
