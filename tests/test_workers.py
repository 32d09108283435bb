"""The answer pool: admission (started / N ahead / refused), order, and failures contained."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from bot.workers import AnswerPool, pool_from_env


def test_admission_counts_the_jobs_ahead_and_refuses_past_the_limit() -> None:
    pool = AnswerPool(workers=2, max_queued=2, lane_workers=2, name="t")
    release = threading.Event()
    ran: list[int] = []
    try:

        def job(n: int) -> None:
            release.wait(5)
            ran.append(n)

        admissions = [pool.submit(lambda n=n: job(n)) for n in range(2)]
        assert [(a.started, a.ahead) for a in admissions] == [(True, 0), (True, 0)]
        deadline = time.monotonic() + 5
        while pool.load() != (2, 0) and time.monotonic() < deadline:
            time.sleep(0.01)
        admissions = [pool.submit(lambda n=n: job(n)) for n in range(2, 5)]
        assert [(a.started, a.ahead) for a in admissions[:2]] == [(False, 0), (False, 1)]
        assert admissions[2].refused
        assert pool.load() == (2, 2)
        release.set()
    finally:
        pool.stop()
    assert sorted(ran) == [0, 1, 2, 3]


def test_a_failing_job_does_not_kill_its_worker(caplog: pytest.LogCaptureFixture) -> None:
    pool = AnswerPool(workers=1, max_queued=5, name="t")
    done = threading.Event()
    try:
        pool.submit(lambda: 1 / 0)  # type: ignore[func-returns-value]
        pool.submit(done.set)
        assert done.wait(5)
    finally:
        pool.stop()
    assert "an answer job failed" in caplog.text


def test_sizes_come_from_the_environment_with_sane_defaults(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = pool_from_env({"FINOPS_ANSWER_WORKERS": "3", "FINOPS_ANSWER_QUEUE": "7"})
    assert (pool.workers, pool.max_queued, pool.lane_workers) == (3, 7, 1)
    pool.stop()
    pool = pool_from_env({"FINOPS_ANSWER_WORKERS": "6", "FINOPS_ANSWER_LANE_WORKERS": "5"})
    assert (pool.workers, pool.lane_workers) == (6, 5)
    pool.stop()
    pool = pool_from_env({"FINOPS_ANSWER_WORKERS": "2", "FINOPS_ANSWER_LANE_WORKERS": "9"})
    assert pool.lane_workers == 2  # never more than the pool
    pool.stop()
    pool = pool_from_env({"FINOPS_ANSWER_WORKERS": "lots"})
    assert (pool.workers, pool.lane_workers) == (2, 1)
    assert "FINOPS_ANSWER_WORKERS='lots' is not a positive number" in caplog.text
    pool.stop()


def test_lanes_take_turns_so_a_quick_command_does_not_wait_behind_a_burst() -> None:
    pool = AnswerPool(workers=1, max_queued=10, name="t")
    release = threading.Event()
    order: list[str] = []
    try:
        pool.submit(lambda: release.wait(5) and None, lane="x")
        deadline = time.monotonic() + 5
        while pool.load() != (1, 0) and time.monotonic() < deadline:
            time.sleep(0.01)
        slow = [pool.submit(lambda n=n: order.append(f"s{n}"), lane="/savings") for n in range(3)]
        quick = pool.submit(lambda: order.append("q"), lane="/cost")
        assert [a.ahead for a in slow] == [0, 1, 2]
        assert quick.ahead == 1  # one /savings, not all three
        release.set()
    finally:
        pool.stop()
    assert order == ["s0", "q", "s1", "s2"]


def _wait_for(condition: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_slow_jobs_of_one_lane_never_take_every_worker() -> None:
    """Five slow /tags scans on a 4-worker pool run two at a time; a /cost sent after them
    starts at once on a free worker instead of waiting for a scan to end."""
    pool = AnswerPool(workers=4, max_queued=20, name="t")
    release = threading.Event()
    running: list[str] = []
    lock = threading.Lock()

    def job(name: str, wait: bool) -> None:
        with lock:
            running.append(name)
        if wait:
            release.wait(10)

    try:
        scans = [pool.submit(lambda n=n: job(f"tags{n}", True), lane="/tags") for n in range(5)]
        assert [a.started for a in scans] == [True, True, False, False, False]
        assert _wait_for(lambda: pool.load() == (2, 3))
        quick = pool.submit(lambda: job("cost", False), lane="/cost")
        assert (quick.started, quick.ahead) == (True, 0)
        assert _wait_for(lambda: "cost" in running)
        time.sleep(0.1)
        assert sorted(running) == ["cost", "tags0", "tags1"]  # no third scan started meanwhile
        release.set()
        assert _wait_for(lambda: len(running) == 6)
        assert _wait_for(lambda: pool.load() == (0, 0))
    finally:
        release.set()
        pool.stop()


def test_a_lane_at_its_cap_runs_its_next_job_when_one_of_its_own_ends() -> None:
    pool = AnswerPool(workers=3, max_queued=10, lane_workers=1, name="t")
    first_may_end = threading.Event()
    order: list[str] = []
    try:
        pool.submit(lambda: first_may_end.wait(5) and order.append("a1"), lane="a")
        assert _wait_for(lambda: pool.load() == (1, 0))
        second = pool.submit(lambda: order.append("a2"), lane="a")
        assert (second.started, second.ahead) == (False, 0)
        other = pool.submit(lambda: order.append("b1"), lane="b")
        assert other.started
        assert _wait_for(lambda: order == ["b1"])
        first_may_end.set()
        assert _wait_for(lambda: order == ["b1", "a1", "a2"])
    finally:
        first_may_end.set()
        pool.stop()
