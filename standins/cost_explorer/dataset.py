"""Line items indexed by day, the stand-in's read-only store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

from .filters import Predicate
from .line_items import LineItem
from .periods import Period


class Dataset:
    """Line items grouped by usage date, for fast range scans."""

    def __init__(self, line_items: Iterable[LineItem]) -> None:
        by_day: dict[date, list[LineItem]] = defaultdict(list)
        for item in line_items:
            if not isinstance(item, LineItem):
                raise TypeError(f"expected LineItem, got {type(item).__name__}")
            by_day[item.usage_date].append(item)
        self._by_day = dict(by_day)
        self.currency = next(
            (item.currency for items in self._by_day.values() for item in items), "USD"
        )

    def __len__(self) -> int:
        return sum(len(items) for items in self._by_day.values())

    def items(self, period: Period, predicate: Predicate) -> Iterator[LineItem]:
        """Items within `period` that satisfy `predicate`, day by day."""
        for day in period.days():
            for item in self._by_day.get(day, ()):
                if predicate(item):
                    yield item

    def days_with_data(self) -> list[date]:
        """Every day that has at least one item, in order."""
        return sorted(self._by_day)
