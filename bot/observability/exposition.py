"""Serving metrics outside `finops-bot serve`, and flushing API usage from long processes.

The clock reports through the database (job runs, alerts, requests), which `serve`'s
`/metrics` reads at scrape time: one scrape target for the whole deployment, and nothing
lost when the clock restarts. Its in-process counters (the API calls its jobs make) are
flushed to `api_usage` after every run. Set `METRICS_PORT` to also expose the clock's own
process metrics (and the database gauges) on that port, for operators who scrape it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from bot.services import Services

log = logging.getLogger(__name__)

#: How often a long-running process adds its API counts to the database.
FLUSH_SECONDS = 60.0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def start_metrics_port(
    services: Services, *, job_periods: Callable[[], dict[str, float]] | None = None
) -> int | None:
    """Serve `/metrics` and `/readyz` on `$METRICS_PORT` in a daemon thread; its port, or None."""
    raw = os.environ.get("METRICS_PORT")
    if not raw:
        return None
    from bot.observability.wsgi import ObservedWsgi

    def not_found(_environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"not found\n"]

    app = ObservedWsgi(not_found, services, commands=(), job_periods=job_periods)
    server = make_server("0.0.0.0", int(raw), app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics on port %s (GET /metrics, GET /readyz)", server.server_port)
    return server.server_port


def start_usage_flusher(services: Services, *, every: float = FLUSH_SECONDS) -> threading.Event:
    """Flush API usage to the database every `every` seconds until the returned event is set."""
    from bot.observability.usage import LEDGER

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                LEDGER.flush(services.db, services.now())
            except Exception:  # never let bookkeeping take the server down
                log.exception("flushing API usage failed")

    threading.Thread(target=loop, name="usage-flush", daemon=True).start()
    return stop
