"""A request's journal: what the audit log says about its steps so far (which were
started, with their tokens and prepared values, and which are done, with their outcomes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.remediation import requests as store
from bot.services import Services


@dataclass
class Journal:
    """What the audit log says about a request's steps so far."""

    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    before: dict[str, Any] | None = None  # the finding the first step acted on

    @property
    def empty(self) -> bool:
        """No step was ever started: nothing was done in AWS."""
        return not self.started


def load_journal(services: Services, request_id: int) -> Journal:
    """The steps recorded for a request."""
    journal = Journal()
    with services.db.session() as session:
        rows = store.events_of(session, request_id)
    for row in rows:
        detail = row.detail or {}
        name = str(detail.get("step", ""))
        if row.status == "step_started":
            journal.started[name] = detail
            if journal.before is None:
                journal.before = row.before
        elif row.status == "step_done":
            journal.done[name] = dict(detail.get("outcome") or {})
    return journal
