"""The acking process's side: start the answer process, forward to it, restart it."""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, cast

from bot.config import Settings
from bot.observability.children import add_child_source, remove_child_source

log = logging.getLogger(__name__)

#: Request kinds the answer process takes: their ack carries nothing the user sees.
FORWARDED_TYPES = frozenset({"block_actions", "event_callback"})
#: Marks a forwarded Socket Mode payload (JSON, no signature) among forwarded HTTP bodies.
SOCKET_MODE_HEADER = "x-finops-socket-mode"
#: Requests forwarded and not yet taken by the child before forwarding is refused.
MAX_FORWARDED = 1000
#: Told through the response_url of each request the child had not answered when it ended.
LOST = (
    ":warning: The bot's answering process stopped while working on this (it is being "
    "restarted). If no answer appears, run it again: an approved cleanup is finished anyway."
)
#: Seconds to wait before starting the child again after it ended (doubling, capped).
RESTART_BASE_SECONDS, RESTART_MAX_SECONDS = 1.0, 30.0
_OFF = {"0", "false", "no", "off"}


def answer_process_wanted(env: dict[str, str] | None = None, *, default: bool = True) -> bool:
    """FINOPS_ANSWER_PROCESS: "0", "false", "no" or "off" answer in the acking process."""
    text = (os.environ if env is None else env).get("FINOPS_ANSWER_PROCESS", "").strip().lower()
    return default if not text else text not in _OFF


def forwardable(parsed: dict[str, Any]) -> bool:
    """A slash command, a click or an event: its answer may come from the child."""
    if "command" in parsed and parsed.get("type") is None:
        return True
    return parsed.get("type") in FORWARDED_TYPES


class AnswerProcess:
    """One child process answering forwarded requests, restarted when it ends.

    `setup` (a module-level function) runs first in the child, before the bot is built
    (the benchmark's probes). Until the child says it is ready, `forward` refuses and the
    acking process answers itself.
    """

    def __init__(self, settings: Settings, *, setup: Callable[[], None] | None = None) -> None:
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._settings, self._setup = settings, setup
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._process: Any = None
        self._inbox: Any = None
        self._replies: Any = None
        self._snapshot: list[Any] = []
        self._in_flight: dict[int, str] = {}  # request number -> its response_url
        self._numbers = itertools.count(1)
        self.restarts = 0
        self._spawn()
        add_child_source(self.metrics)
        self._watcher = threading.Thread(target=self._watch, name="answer-watch", daemon=True)
        self._watcher.start()

    @property
    def pid(self) -> int | None:
        """The child's process id (None before its first start)."""
        process = self._process
        return None if process is None else process.pid

    @property
    def ready(self) -> bool:
        """The child is up and takes forwarded requests."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the child takes requests; False when it did not within `timeout`."""
        return self._ready.wait(timeout)

    def metrics(self) -> list[Any]:
        """The child's last reported metric families (bot/observability/children.py)."""
        return self._snapshot

    def forward(self, body: str, headers: dict[str, str], *, reply_to: str | None = None) -> bool:
        """Hand a verified request to the child; False when it cannot take it now. Should
        the child end before answering it, `reply_to` (its allowed response_url) is told."""
        number = next(self._numbers)
        with self._lock:  # checked under the lock `_tell_lost` takes after clearing ready:
            if not self._ready.is_set():  # so what is owed is either told or refused here
                return False
            inbox = self._inbox
            if reply_to:
                self._in_flight[number] = reply_to
        try:
            inbox.put_nowait((number, body, headers))
        except (queue.Full, ValueError, OSError, AssertionError):
            with self._lock:
                self._in_flight.pop(number, None)
            return False
        return True

    def in_flight(self) -> int:
        """Forwarded requests with a response_url the child has not finished answering."""
        with self._lock:
            return len(self._in_flight)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the child finish what it has, then end it."""
        self._stopping.set()
        self._ready.clear()
        remove_child_source(self.metrics)
        # The watcher may be starting a replacement right now: let it finish first, so the
        # child ended below is the newest one and none is left behind without its parent.
        self._watcher.join(5)
        with self._lock:
            process, inbox = self._process, self._inbox
        with contextlib.suppress(queue.Full, ValueError, OSError, AssertionError):
            inbox.put(None, timeout=1)  # the child may be gone already
        process.join(timeout)
        if process.is_alive():
            process.terminate()
            process.join(2)

    # ------------------------------------------------------------ internals
    def _spawn(self) -> None:
        from bot.answers.child import run_child

        inbox = self._context.Queue(MAX_FORWARDED)
        replies = self._context.Queue()
        process = self._context.Process(
            target=run_child,
            args=(self._settings, inbox, replies, os.getpid()),
            kwargs={
                "setup": self._setup,
                "log_level": logging.getLogger().level,
                "recover": self._process is not None,  # an earlier one ended
            },
            name="finops-answers",
            daemon=True,
        )
        process.start()
        # Only the child writes replies: without this process's copy of the write end, a
        # child killed in the middle of a message gives EOF here, never a read that hangs.
        cast(Any, replies)._writer.close()
        with self._lock:
            self._process, self._inbox, self._replies = process, inbox, replies
        log.info("started the answer process (pid %s)", process.pid)

    def _watch(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._read_reply()
            if self._ready.is_set():
                failures = 0
            process = self._process
            if self._stopping.is_set() or process.is_alive():
                continue
            self._ready.clear()
            self._tell_lost()
            delay = min(RESTART_MAX_SECONDS, RESTART_BASE_SECONDS * 2**failures)
            failures += 1
            log.error(
                "the answer process (pid %s) ended with code %s; answering here until it "
                "is back (restart in %.0f s)",
                process.pid,
                process.exitcode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            self._spawn()
            self.restarts += 1

    def _read_reply(self) -> None:
        try:
            kind, value = self._replies.get(timeout=0.5)
        except (queue.Empty, EOFError, OSError, ValueError):
            return
        if kind == "ready":
            log.info("the answer process (pid %s) is ready", value)
            self._ready.set()
        elif kind == "metrics":
            self._snapshot = value
        elif kind == "done":
            with self._lock:
                self._in_flight.pop(value, None)

    def _tell_lost(self) -> None:
        """The child ended: say so to everyone whose answer it still owed."""
        from bot.dispatch import post_notice

        while True:  # what it reported done before it ended is not owed
            try:
                kind, value = self._replies.get_nowait()
            except (queue.Empty, EOFError, OSError, ValueError):
                break
            if kind == "done":
                with self._lock:
                    self._in_flight.pop(value, None)
        with self._lock:
            owed, self._in_flight = list(self._in_flight.values()), {}
        if owed:
            log.warning(
                "the answer process ended owing %d answer(s); telling their users", len(owed)
            )
        for url in owed:
            post_notice(url, {"text": LOST})
