"""Readiness: whether this process can serve now (a platform holds traffic back until then)."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from storage.migrate import current_revision, head_revision


def schema_state(services: Services) -> tuple[str | None, str | None]:
    """(the database's revision, the newest the code knows); (None, head) when unreachable."""
    head = head_revision(services.db.engine)
    try:
        return current_revision(services.db.engine), head
    except Exception:
        return None, head


def readiness(services: Services) -> tuple[bool, dict[str, Any]]:
    """Ready when the database answers and its schema is at the code's head revision."""
    problems: list[str] = []
    if not services.db.ping():
        problems.append("database unreachable")
        current, head = None, head_revision(services.db.engine)
    else:
        current, head = schema_state(services)
        if current != head:
            problems.append(f"migrations behind (database at {current}, code at {head})")
    body: dict[str, Any] = {"ready": not problems, "schema": current, "head": head}
    if problems:
        body["problems"] = problems
    return not problems, body
