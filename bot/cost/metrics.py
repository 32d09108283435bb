"""Counting Cost Explorer requests: AWS bills $0.01 for each one, retries included."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from decimal import Decimal

log = logging.getLogger(__name__)

PRICE_PER_REQUEST = Decimal("0.01")


class RequestCounter:
    """A thread-safe count of Cost Explorer HTTP requests, per operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_operation: Counter[str] = Counter()

    def add(self, operation: str) -> int:
        """Count one request; returns the running total."""
        with self._lock:
            self._by_operation[operation] += 1
            return self._by_operation.total()

    @property
    def total(self) -> int:
        """Requests so far in this process."""
        with self._lock:
            return self._by_operation.total()

    def by_operation(self) -> dict[str, int]:
        """Requests so far, per operation name."""
        with self._lock:
            return dict(self._by_operation)

    def cost(self) -> Decimal:
        """What the requests so far cost, in dollars."""
        return PRICE_PER_REQUEST * self.total


#: The process-wide metric (tests read deltas of `CE_REQUESTS.total`).
CE_REQUESTS = RequestCounter()


def count_request(operation: str) -> int:
    """Count one request to Cost Explorer and log the running count and cost."""
    from bot.observability.metrics import count_billed

    total = CE_REQUESTS.add(operation)
    count_billed("cost_explorer", operation, unit="pages", units=1, dollars=PRICE_PER_REQUEST)
    log.info(
        "Cost Explorer request: %s; %d so far in this process ($%s at $%s each)",
        operation,
        total,
        PRICE_PER_REQUEST * total,
        PRICE_PER_REQUEST,
    )
    return total
