"""A circuit breaker: after repeated failures, stop calling a service for a while.

Closed: calls go through; `failure_threshold` failures in a row open it. Open: calls are
refused for `recovery_seconds`. Half-open: then one trial call goes through; its success
closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    """Thread-safe; `clock` is monotonic seconds (injectable for tests)."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        recovery_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_seconds = recovery_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self.last_error: str | None = None
        self.opened_wall: datetime | None = None

    @property
    def state(self) -> str:
        """closed, open or half-open."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self.clock() - self._opened_at >= self.recovery_seconds:
            return HALF_OPEN
        return OPEN

    def allow(self) -> bool:
        """Whether a call may go through now (in half-open, only one trial at a time)."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def retry_in(self) -> float:
        """Seconds until the next trial call is allowed (0 when closed)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.recovery_seconds - (self.clock() - self._opened_at))

    def record_success(self) -> None:
        """A call succeeded: close."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False
            self.last_error = None
            self.opened_wall = None

    def record_failure(self, error: str) -> None:
        """A call failed (after its retries): count it, and open at the threshold."""
        with self._lock:
            self._failures += 1
            self.last_error = error
            if self._trial_running or self._failures >= self.failure_threshold:
                if self._opened_at is None:
                    self.opened_wall = datetime.now().astimezone()
                self._opened_at = self.clock()
            self._trial_running = False

    def release(self) -> None:
        """A trial call ended without telling success or failure (e.g. a bad request)."""
        with self._lock:
            self._trial_running = False
