"""The answer process itself: the bot's handlers on its own answer pool, fed by the
acking process (bot/answers/front.py)."""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.workers import Admission, AnswerPool

log = logging.getLogger(__name__)

#: How often the child reports its metrics to the acking process (which serves /metrics).
METRICS_SECONDS = 1.0
#: The answer process yields the CPU to the acking one when both want it (cold bursts:
#: first scans and imports saturate both cores), so acks stay quick; nothing else changes.
NICENESS = 5


def run_child(
    settings: Settings,
    inbox: Any,
    replies: Any,
    parent_pid: int,
    *,
    setup: Callable[[], None] | None = None,
    log_level: int = logging.INFO,
    recover: bool = False,
) -> None:
    """Answer forwarded requests until told to stop (None) or the parent is gone.

    `recover`: an earlier answer process ended (a crash, a kill): reconcile the cleanups
    it may have left half done, as a restarted `serve` does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops us
    os.nice(NICENESS)
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(levelname)s %(name)s[answers]: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if setup is not None:
        setup()
    from bot.app import create_app
    from bot.interpreter import tune_switch_interval
    from bot.observability.children import snapshot
    from bot.observability.exposition import start_usage_flusher
    from bot.observability.usage import LEDGER
    from bot.services import build_services
    from bot.slack.worker import start_worker
    from bot.workers import pool_from_env
    from storage import health

    tune_switch_interval()
    services = build_services(settings, migrate=False)  # the acking process migrated
    health.remember_file(services.db)  # a database file replaced under us is refused
    start_worker(services)  # wakes at once for what this process queues
    start_usage_flusher(services)
    if recover:
        from bot.remediation.recovery import start_recovery
        from jobs.cleanups import redraw_request

        start_recovery(services, process="answers", redraw=redraw_request)
    pool = pool_from_env(pool_class=ReportingPool)
    assert isinstance(pool, ReportingPool)
    pool.replies = replies
    app = create_app(services, token_verification=False, pool=pool, acks_elsewhere=True)
    stop_reporting = _keep_house(replies, snapshot, lambda: health.database_problem(services.db))
    replies.put(("ready", os.getpid()))
    while True:
        try:
            item = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:
                log.warning("the acking process is gone; stopping")
                break
            continue
        except (EOFError, OSError):  # the queue itself is gone: so is the acking process
            log.warning("lost the acking process's queue; stopping")
            break
        if item is None:
            break
        number, body, headers = item
        pool.current, pool.claimed = number, False
        try:
            app.dispatch(_request(body, headers))
        except Exception as exc:  # Bolt itself failed; the request was acked already
            log.error("could not dispatch a forwarded request: %s: %s", type(exc).__name__, exc)
        finally:
            pool.current = None
            if not pool.claimed:  # answered (or refused) without an answer job
                replies.put(("done", number))
    pool.stop(timeout=10)
    stop_reporting.set()
    try:
        LEDGER.flush(services.db, services.now())
        health.database_problem(services.db)  # writes audit events kept while it refused
    except Exception:
        log.exception("flushing API usage failed")
    replies.put(("metrics", snapshot()))


class ReportingPool(AnswerPool):
    """The answer pool, telling the acking process when the job of each forwarded request
    is done (so it knows whom to tell if this process dies first)."""

    current: int | None = None  # the forwarded request being dispatched (one thread)
    claimed: bool = False  # a job of it was queued
    replies: Any = None

    def submit(self, job: Callable[[], None], *, lane: str = "") -> Admission:
        number = self.current
        if number is None:
            return super().submit(job, lane=lane)
        self.claimed = True

        def reported() -> None:
            try:
                job()
            finally:
                self.replies.put(("done", number))

        admission = super().submit(reported, lane=lane)
        if admission.refused:
            self.replies.put(("done", number))
        return admission


def _request(body: str, headers: dict[str, str]) -> Any:
    """The Bolt request of a forwarded HTTP body or Socket Mode payload."""
    import json

    from slack_bolt.request import BoltRequest

    from bot.answers.front import SOCKET_MODE_HEADER

    if headers.get(SOCKET_MODE_HEADER):
        return BoltRequest(body=json.loads(body), mode="socket_mode")
    return BoltRequest(body=body, headers={k: [v] for k, v in headers.items()})


def _keep_house(
    replies: Any, snapshot: Callable[[], list[Any]], check_database: Callable[[], Any]
) -> threading.Event:
    """Every second: report metrics; while audit events wait for the database (it refused
    writes), check it, which writes them once it takes writes again."""
    from storage import audit

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(METRICS_SECONDS):
            try:
                replies.put(("metrics", snapshot()))
            except (ValueError, OSError):
                return
            if audit.deferred_count():
                try:
                    check_database()
                except Exception:
                    log.warning("deferred audit events not written yet", exc_info=True)

    threading.Thread(target=loop, name="answer-metrics", daemon=True).start()
    return stop
