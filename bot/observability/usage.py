"""The bot's own billed API use, kept in the database month by month.

Calls are counted in memory as they happen (no database write on the request path) and
flushed as deltas into `api_usage`: by `finops-bot serve` every minute, after every job run,
and before a status report. Several processes and replicas add their deltas to the same
rows, so the month's figures are the whole deployment's.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.db import Database
from storage.models_usage import ApiUsage

log = logging.getLogger(__name__)


@dataclass
class _Delta:
    requests: int = 0
    units: int = 0
    dollars: Decimal = Decimal(0)


class UsageLedger:
    """Thread-safe in-memory deltas per API, waiting to be flushed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: defaultdict[str, _Delta] = defaultdict(_Delta)

    def add(self, api: str, *, requests: int, units: int, dollars: Decimal) -> None:
        """Count `requests` of `api` (units: pages, metrics or bytes)."""
        with self._lock:
            delta = self._pending[api]
            delta.requests += requests
            delta.units += units
            delta.dollars += dollars

    def take(self) -> dict[str, _Delta]:
        """The pending deltas, now cleared."""
        with self._lock:
            pending, self._pending = dict(self._pending), defaultdict(_Delta)
        return pending

    def give_back(self, deltas: dict[str, _Delta]) -> None:
        """Deltas a failed flush could not write: keep them for the next one."""
        for api, delta in deltas.items():
            self.add(api, requests=delta.requests, units=delta.units, dollars=delta.dollars)

    def flush(self, db: Database, now: datetime) -> int:
        """Add the pending deltas to this month's rows; returns how many APIs were written."""
        deltas = {api: d for api, d in self.take().items() if d.requests or d.units}
        if not deltas:
            return 0
        month = now.strftime("%Y-%m")
        try:
            for api, delta in deltas.items():
                _add_row(db, month, api, delta, now)
        except (OperationalError, IntegrityError) as exc:
            log.warning("API usage not recorded yet (database: %s); will retry", exc.orig)
            self.give_back(deltas)
            return 0
        return len(deltas)


def _add_row(db: Database, month: str, api: str, delta: _Delta, now: datetime) -> None:
    for attempt in range(2):
        try:
            with db.session() as session:
                row = session.scalar(
                    select(ApiUsage).where(ApiUsage.month == month, ApiUsage.api == api)
                )
                if row is None:
                    row = ApiUsage(month=month, api=api, requests=0, units=0, dollars=Decimal(0))
                    session.add(row)
                row.requests += delta.requests
                row.units += delta.units
                row.dollars = Decimal(row.dollars) + delta.dollars
                row.updated_at = now
            return
        except IntegrityError:  # another process created the row first: add to it
            if attempt:
                raise


def month_usage(db: Database, month: str) -> dict[str, ApiUsage]:
    """This month's rows, by API."""
    with db.session() as session:
        rows = session.scalars(select(ApiUsage).where(ApiUsage.month == month)).all()
    return {row.api: row for row in rows}


#: The process-wide ledger.
LEDGER = UsageLedger()
