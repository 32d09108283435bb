"""SIGKILL of the answer process alone (bot/answers), mid-cleanup: `serve` keeps acking,
starts a new answer process, and that one reconciles the interrupted request once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import boto3

from tests.crash_serve_fixtures import (  # the crash suite's stack: moto behind a proxy, console
    CASES,
    Bot,
    Stack,
    _click,
    _open_and_post,
    _services,
    _wait_final,
    _wait_redrawn,
    check_end,
    stack,
)

__all__ = ["stack"]  # the fixture, shared with the crash suite


def answer_pids(pid: int) -> set[int]:
    """The answer processes `pid` started (any of its threads may have started one; its
    multiprocessing resource tracker is not one)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(int(child))
    return found


def test_answer_process_killed_mid_cleanup_is_replaced_and_reconciles(
    tmp_path: Path, stack: Stack
) -> None:
    case = CASES["volume"]
    services, env = _services(tmp_path, f"sqlite:///{tmp_path / 'finops.db'}", stack)
    resource = case.make(boto3.Session(region_name="us-east-1"))
    request_id, message_id = _open_and_post(services, stack, case, resource)
    stack.proxy.clear()
    bot = Bot(env, tmp_path / "bot.log").start()
    stack.console.bot_url = f"{bot.url}/slack/events"
    assert bot.process is not None
    rule = stack.proxy.hold("DeleteVolume", seconds=1.5, forward=True)
    try:
        (child,) = answer_pids(bot.process.pid)
        _click(stack, case, message_id)
        assert rule.in_flight.wait(30), (tmp_path / "bot.log").read_text()[-3000:]
        time.sleep(0.2)
        os.kill(child, signal.SIGKILL)  # only the answer process: serve lives on
        assert rule.finished.wait(10)
        final = _wait_final(services, request_id)
        _wait_redrawn(services, stack, message_id, f"({final.state})")  # while it runs
        assert bot.process.poll() is None
        assert child not in answer_pids(bot.process.pid)
    finally:
        bot.stop()
    log = (tmp_path / "bot.log").read_text()
    assert "ended with code -9" in log and "answers start-up" in log, log[-3000:]
    check_end(services, stack, case, request_id, resource, message_id)
