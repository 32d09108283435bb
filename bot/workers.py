"""The bot's own bounded pool of answer workers (not Bolt's listener executor).

Every command and click runs here; the listener thread only waits for the handler's
`ack()` (milliseconds) and returns it to Slack. `submit` says where a job stands: started
at once, queued behind N others, or refused because the queue is full.

Waiting jobs are kept per lane (the command or button they answer) and taken round-robin
across lanes, so a burst of slow `/savings` never makes a quick `/cost` wait behind all
of it: a job waits for at most one job of each other lane per job ahead in its own. And no
lane runs on more than `lane_workers` threads at once (half the pool by default): turns
alone would still let five slow scans take every worker, one after the other, and a quick
`/cost` would then wait for a scan to end; the cap keeps workers free for other lanes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.observability.metrics import QUEUE_DEPTH

log = logging.getLogger(__name__)

#: Answer work is mostly Python CPU (10-20 ms a job) sharing one interpreter with the acks:
#: more threads than this only make acks wait longer for it (benchmarks/mixed_burst.py:
#: warm ack p95 58-81 ms with 2, 102-124 ms with 4; answers as fast).
DEFAULT_WORKERS = 2
DEFAULT_MAX_QUEUED = 200


def default_lane_workers(workers: int) -> int:
    """How many workers one lane may use at once by default: half the pool (at least 1)."""
    return max(1, workers // 2)


@dataclass(frozen=True)
class Admission:
    """What became of a submitted job: `ahead` jobs wait before it; None when refused."""

    started: bool
    ahead: int | None

    @property
    def refused(self) -> bool:
        """The queue was full: the job will not run."""
        return self.ahead is None


class AnswerPool:
    """`workers` threads taking jobs from a queue of at most `max_queued` waiting jobs; one
    lane's jobs run on at most `lane_workers` of them at once."""

    def __init__(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        max_queued: int = DEFAULT_MAX_QUEUED,
        lane_workers: int | None = None,
        name: str = "answer",
    ) -> None:
        if workers < 1:
            raise ValueError("an answer pool needs at least one worker")
        self.workers, self.max_queued = workers, max_queued
        self.lane_workers = min(workers, lane_workers or default_lane_workers(workers))
        self._lanes: OrderedDict[str, deque[Callable[[], None]]] = OrderedDict()
        self._running: dict[str, int] = {}  # lane -> jobs of it running now
        self._waiting = 0
        self._busy = 0
        self._closed = False
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[[], None], *, lane: str = "") -> Admission:
        """Queue `job` in `lane`; say whether a worker takes it at once and how many jobs
        start before it."""
        with self._cond:
            if self._closed or self._waiting >= self.max_queued:
                return Admission(started=False, ahead=None)
            queue = self._lanes.setdefault(lane, deque())
            started = (
                self._busy + self._startable() < self.workers
                and self._running.get(lane, 0) + len(queue) < self.lane_workers
            )
            turns = len(queue)  # jobs of this lane before it; each other lane gets one more
            ahead = turns + sum(
                min(len(other), turns + 1) for name, other in self._lanes.items() if name != lane
            )
            queue.append(job)
            self._waiting += 1
            QUEUE_DEPTH.set(self._waiting)
            self._cond.notify()
        return Admission(started=started, ahead=0 if started else ahead)

    def load(self) -> tuple[int, int]:
        """(jobs running, jobs waiting)."""
        with self._cond:
            return self._busy, self._waiting

    def stop(self, timeout: float = 5.0) -> None:
        """Let queued jobs finish, then end the threads."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    picked = self._next()
                    if picked is not None or (self._closed and not self._waiting):
                        break
                    self._cond.wait()
                if picked is None:
                    return
                lane, job = picked
                self._busy += 1
                self._running[lane] = self._running.get(lane, 0) + 1
                QUEUE_DEPTH.set(self._waiting)
            try:
                job()
            except Exception:  # jobs log their own failures; this is the last resort
                log.exception("an answer job failed")
            finally:
                with self._cond:
                    self._busy -= 1
                    self._running[lane] -= 1
                    if not self._running[lane]:
                        del self._running[lane]
                    if self._waiting:
                        self._cond.notify_all()  # a lane at its cap may run again

    def _startable(self) -> int:
        """Waiting jobs a free worker could take now (their lane is below its cap)."""
        return sum(
            min(len(queue), max(0, self.lane_workers - self._running.get(lane, 0)))
            for lane, queue in self._lanes.items()
        )

    def _next(self) -> tuple[str, Callable[[], None]] | None:
        """The next job, round-robin over lanes below their cap (the lane served goes to
        the back); None when every waiting job's lane already runs `lane_workers` jobs."""
        lane = next(
            (name for name in self._lanes if self._running.get(name, 0) < self.lane_workers),
            None,
        )
        if lane is None:
            return None
        queue = self._lanes.pop(lane)
        job = queue.popleft()
        self._waiting -= 1
        if queue:
            self._lanes[lane] = queue
        return lane, job


def pool_from_env(
    env: dict[str, str] | None = None, *, pool_class: type[AnswerPool] = AnswerPool
) -> AnswerPool:
    """A pool (of `pool_class`) sized by FINOPS_ANSWER_WORKERS, FINOPS_ANSWER_QUEUE and
    FINOPS_ANSWER_LANE_WORKERS (defaults 2, 200 and half the workers)."""
    env = dict(os.environ if env is None else env)
    workers = _positive(env, "FINOPS_ANSWER_WORKERS", DEFAULT_WORKERS)
    return pool_class(
        workers=workers,
        max_queued=_positive(env, "FINOPS_ANSWER_QUEUE", DEFAULT_MAX_QUEUED),
        lane_workers=_positive(env, "FINOPS_ANSWER_LANE_WORKERS", default_lane_workers(workers)),
    )


def _positive(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    if text:
        log.warning("%s=%r is not a positive number; using %d", name, text, default)
    return default
