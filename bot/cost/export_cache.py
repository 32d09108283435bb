"""Daily slices of an export read by DuckDB, kept in memory for the export's current files.

Cost Explorer's answers go to the database cache because every request is billed and a
settled day never changes there. An export read by DuckDB is different: reading it again
costs one local scan (no bill), and its rows do change when AWS rewrites the month's
files. Writing tens of thousands of daily rows per slice into SQL and reading them back
cost more than the scan itself (10M rows: 2.7 s to store, 0.6 s to read a by-account
slice whose DuckDB query took 2 s). So slices of a DuckDB export live here instead, valid
for one version of the files (names with sizes and mtimes, or S3 ETags): the first answer
pays one scan, later ones none, and a rewritten export is read again, exactly. When the
files cannot be listed (S3 not answering) the slices of the last version answer, "as of"
the time they were read. Athena keeps the database cache: it bills by bytes scanned.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from storage.models_cost import CostDay

from .cache import CachedSlice
from .explorer import DayCost
from .export_files import ExportError, SourceFailure

#: Rows kept over all slices (about 150 bytes each); the least recently used go first.
MAX_ROWS = 400_000

_Day = tuple[CostDay, list[tuple[date, str, str, Decimal]]]


class ExportCache:
    """The same three calls as the database cache (stale days, store, read), in memory."""

    def __init__(self, version: Callable[[], str], *, max_rows: int = MAX_ROWS) -> None:
        self._version = version
        self._max_rows = max_rows
        self._lock = threading.Lock()
        self._current: str | None = None
        self._slices: OrderedDict[str, dict[date, _Day]] = OrderedDict()
        self._rows = 0

    def stale_days(self, key: str, days: Iterable[date]) -> list[date]:
        """The days not read from the export's current files (all, when it cannot be listed:
        the fetch then says why)."""
        wanted = sorted(set(days))
        try:
            version = self._version()
        except (ExportError, SourceFailure):
            return wanted
        with self._lock:
            if version != self._current:
                self._slices.clear()
                self._rows = 0
                self._current = version
            known = self._slices.get(key, {})
            return [day for day in wanted if day not in known]

    def store(
        self, key: str, start: date, end: date, fetched: list[DayCost], now: datetime
    ) -> None:
        """Keep the slice's days [start, end) as read (days without rows cost 0)."""
        by_day = {entry.day: entry for entry in fetched}
        with self._lock:
            held = self._slices.setdefault(key, {})
            self._slices.move_to_end(key)
            day = start
            while day < end:
                entry = by_day.get(day) or DayCost(day, estimated=False)
                marker = CostDay(
                    slice_key=key, day=day, fetched_at=now, estimated=False, currency=entry.currency
                )
                rows = [(day, k1, k2, amount) for (k1, k2), amount in entry.amounts.items()]
                if day in held:
                    self._rows -= len(held[day][1])
                held[day] = (marker, rows)
                self._rows += len(rows)
                day += timedelta(days=1)
            self._evict(keep=key)

    def read(self, key: str, start: date, end: date) -> CachedSlice:
        """Everything held for the slice over [start, end)."""
        with self._lock:
            held = self._slices.get(key, {})
            if held:
                self._slices.move_to_end(key)
            days = {day: entry[0] for day, entry in held.items() if start <= day < end}
            rows = [row for day in sorted(days) for row in held[day][1]]
        return CachedSlice(days=days, rows=rows)

    def _evict(self, *, keep: str) -> None:
        while self._rows > self._max_rows and len(self._slices) > 1:
            oldest = next(iter(self._slices))
            if oldest == keep:
                self._slices.move_to_end(oldest)
                continue
            dropped = self._slices.pop(oldest)
            self._rows -= sum(len(rows) for _marker, rows in dropped.values())
