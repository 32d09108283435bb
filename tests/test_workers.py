"""The answer pool: admission (started / N ahead / refused), order, and failures contained."""

from __future__ import annotations

import threading
import time

import pytest

from bot.workers import AnswerPool, pool_from_env


def test_admission_counts_the_jobs_ahead_and_refuses_past_the_limit() -> None:
    pool = AnswerPool(workers=2, max_queued=2, name="t")
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
    assert (pool.workers, pool.max_queued) == (3, 7)
    pool.stop()
    pool = pool_from_env({"FINOPS_ANSWER_WORKERS": "lots"})
    assert pool.workers == 4
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
