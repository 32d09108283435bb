"""Running the bot: HTTP with waitress, or Socket Mode."""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

from waitress.server import create_server

from bot.app import create_app
from bot.observability.exposition import start_usage_flusher
from bot.observability.wsgi import ObservedWsgi
from bot.services import Services
from bot.web import BotWsgi
from bot.wsgi_thread import BackgroundServer

log = logging.getLogger(__name__)

HTTP_THREADS = 8
#: The interpreter's thread switch interval in the bot's process (CPython's default is 5 ms).
#: Every ack passes through several threads (waitress's loop, an HTTP thread, an answer
#: worker) and each hand-over waits for the running thread to give up the interpreter;
#: while answers render and scans parse on other threads, 5 ms per hand-over adds tens of
#: milliseconds to an ack. 1 ms keeps hand-overs short at a negligible cost in switches.
DEFAULT_SWITCH_INTERVAL_MS = 1.0


def tune_switch_interval(env: dict[str, str] | None = None) -> float:
    """Set the interpreter's switch interval from FINOPS_SWITCH_INTERVAL_MS (default 1 ms,
    from 0.1 to 5 ms); returns the seconds set."""
    text = (os.environ if env is None else env).get("FINOPS_SWITCH_INTERVAL_MS", "").strip()
    milliseconds = DEFAULT_SWITCH_INTERVAL_MS
    if text:
        try:
            milliseconds = float(text)
        except ValueError:
            milliseconds = -1.0
        if not 0.1 <= milliseconds <= 5.0:
            log.warning(
                "FINOPS_SWITCH_INTERVAL_MS=%r is not between 0.1 and 5; using %s",
                text,
                DEFAULT_SWITCH_INTERVAL_MS,
            )
            milliseconds = DEFAULT_SWITCH_INTERVAL_MS
    sys.setswitchinterval(milliseconds / 1000)
    return milliseconds / 1000


def make_wsgi(services: Services, *, token_verification: bool = True) -> ObservedWsgi:
    """The bot's WSGI application, with `/metrics` and `/readyz` in front."""
    from handlers import COMMANDS
    from jobs.periods import job_periods

    inner = BotWsgi(create_app(services, token_verification=token_verification), services)
    return ObservedWsgi(
        inner,
        services,
        commands=[c.name for c in COMMANDS],
        job_periods=lambda: job_periods(services),
    )


def serve_http(services: Services, *, host: str = "0.0.0.0", port: int | None = None) -> None:
    """Serve `/slack/events` and `/healthz` with waitress until interrupted."""
    port = services.settings.port if port is None else port
    tune_switch_interval()
    server = create_server(make_wsgi(services), host=host, port=port, threads=HTTP_THREADS)
    start_usage_flusher(services)
    log.info(
        "serving HTTP on %s:%s (POST /slack/events, GET /healthz, /readyz, /metrics)", host, port
    )
    signal.signal(signal.SIGTERM, _exit_quietly)  # waitress finishes in-flight work on exit
    server.run()
    log.info("HTTP server stopped")


def _exit_quietly(signum: int, _frame: FrameType | None) -> None:
    log.info("received %s, stopping", signal.Signals(signum).name)
    raise SystemExit(0)


def serve_socket_mode(services: Services) -> None:
    """Connect to Slack over Socket Mode (no public URL needed)."""
    from bot.redelivery import Redeliveries
    from bot.socket_mode import DedupingSocketModeHandler

    app_token = services.settings.slack_app_token
    assert app_token is not None
    from bot.observability.exposition import start_metrics_port
    from jobs.periods import job_periods

    start_usage_flusher(services)
    tune_switch_interval()
    # Socket Mode has no HTTP port of its own: METRICS_PORT serves /metrics and /readyz
    start_metrics_port(services, job_periods=lambda: job_periods(services))
    log.info("connecting to Slack in Socket Mode")
    DedupingSocketModeHandler(
        create_app(services),
        app_token.get_secret_value(),
        redeliveries=Redeliveries(services.db),
    ).start()


def start_http_in_thread(
    services: Services, *, host: str = "127.0.0.1", port: int = 0, token_verification: bool = True
) -> BackgroundServer:
    """Start the HTTP server in a daemon thread (demo and tests); `.url` is its base URL."""
    tune_switch_interval()
    wsgi = make_wsgi(services, token_verification=token_verification)
    return BackgroundServer(wsgi, host=host, port=port, threads=HTTP_THREADS, name="bot-http")
