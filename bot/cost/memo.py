"""Decoded cost-cache reads kept in memory while the database holds the same days.

Reading a slice (team by service over a period and its comparison, about 1,300 rows in the
demo) is most of a warm `/cost` answer's work: every row becomes a Python tuple and a
Decimal, and the next question about any team reads the same slice again. Here a decoded
read is kept per (slice, first day, end) with the slice's *stamps* over those days: each
cached day and when it was fetched (one small query, which also tells which days are
stale). Every store replaces days and stamps them with its fetch time, so a store by this
process or by another replica changes the stamps and the next read decodes the rows
again; a store by this process also forgets its slice at once (two stores within one clock
tick cannot leave an old read in use). Answers stay exactly those of a fresh read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models_cost import CostDay

from .cache import CachedSlice, Freshness, aware, read

#: Reads kept (each a few thousand rows at most in practice).
MAX_READS = 64

Stamps = tuple[tuple[date, datetime], ...]
_Key = tuple[str, date, date]


def slice_stamps(session: Session, key: str, start: date, end: date) -> Stamps:
    """Each cached day of the slice over [start, end) and when it was fetched, in order."""
    rows = session.execute(
        select(CostDay.day, CostDay.fetched_at)
        .where(CostDay.slice_key == key, CostDay.day >= start, CostDay.day < end)
        .order_by(CostDay.day)
    )
    return tuple((day, aware(fetched)) for day, fetched in rows)


def stale_in(stamps: Stamps, days: list[date], freshness: Freshness, now: datetime) -> list[date]:
    """The days of `days` to (re)fetch, in order: what `cache.stale_days` says, from stamps."""
    fetched = dict(stamps)
    return [
        day
        for day in sorted(set(days))
        if day not in fetched or not freshness.is_fresh(day, fetched[day], now)
    ]


class SliceMemo:
    """The newest `MAX_READS` decoded reads, each valid while its stamps hold."""

    def __init__(self, limit: int = MAX_READS) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._reads: OrderedDict[_Key, tuple[Stamps, CachedSlice]] = OrderedDict()

    def get(self, key: str, start: date, end: date, stamps: Stamps) -> CachedSlice | None:
        """The read kept for exactly these days, if the database still has these stamps."""
        with self._lock:
            kept = self._reads.get((key, start, end))
            if kept is None or kept[0] != stamps:
                return None
            self._reads.move_to_end((key, start, end))
            return kept[1]

    def put(self, key: str, start: date, end: date, stamps: Stamps, read: CachedSlice) -> None:
        """Keep `read`, made after `stamps` were taken (so the rows are never older)."""
        with self._lock:
            self._reads[(key, start, end)] = (stamps, read)
            self._reads.move_to_end((key, start, end))
            while len(self._reads) > self._limit:
                self._reads.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop every read of a slice (this process just stored new days of it)."""
        with self._lock:
            for kept in [k for k in self._reads if k[0] == key]:
                del self._reads[kept]


def read_kept(
    memo: SliceMemo, session: Session, key: str, start: date, end: date, stamps: Stamps | None
) -> CachedSlice:
    """The slice's cached days [start, end): the kept read while `stamps` (taken now when
    None) are what the database holds, else a fresh read, then kept."""
    if stamps is None:
        stamps = slice_stamps(session, key, start, end)
    kept = memo.get(key, start, end, stamps)
    if kept is None:
        kept = read(session, key, start, end)
        memo.put(key, start, end, stamps, kept)
    return kept
