"""Running the bot: HTTP with waitress, or Socket Mode."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

from waitress.server import create_server

from bot.answers.front import AnswerProcess, answer_process_wanted
from bot.app import create_app
from bot.interpreter import tune_switch_interval
from bot.observability.exposition import start_usage_flusher
from bot.observability.wsgi import ObservedWsgi
from bot.services import Services
from bot.web import BotWsgi
from bot.wsgi_thread import BackgroundServer

log = logging.getLogger(__name__)

HTTP_THREADS = 8


def make_wsgi(
    services: Services, *, token_verification: bool = True, answers: AnswerProcess | None = None
) -> ObservedWsgi:
    """The bot's WSGI application, with `/metrics` and `/readyz` in front; commands, clicks
    and events answered by `answers` when given (and ready)."""
    from handlers import COMMANDS
    from jobs.periods import job_periods

    app = create_app(services, token_verification=token_verification)
    inner = BotWsgi(app, services, answers=answers)
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
    answers = AnswerProcess(services.settings) if answer_process_wanted() else None
    wsgi = make_wsgi(services, answers=answers)
    server = create_server(wsgi, host=host, port=port, threads=HTTP_THREADS)
    start_usage_flusher(services)
    log.info(
        "serving HTTP on %s:%s (POST /slack/events, GET /healthz, /readyz, /metrics)", host, port
    )
    signal.signal(signal.SIGTERM, _exit_quietly)  # waitress finishes in-flight work on exit
    try:
        server.run()
    finally:
        if answers is not None:
            answers.stop()  # it finishes the answers it has first
    log.info("HTTP server stopped")


def _exit_quietly(signum: int, _frame: FrameType | None) -> None:
    log.info("received %s, stopping", signal.Signals(signum).name)
    raise SystemExit(0)


def serve_socket_mode(services: Services) -> None:
    """Connect to Slack over Socket Mode (no public URL needed)."""
    from bot.dispatch import allowed_response_url
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
    answers = AnswerProcess(services.settings) if answer_process_wanted() else None
    try:
        DedupingSocketModeHandler(
            create_app(services),
            app_token.get_secret_value(),
            redeliveries=Redeliveries(services.db),
            answers=answers,
            url_allowed=lambda url: allowed_response_url(url, services),
        ).start()
    finally:
        if answers is not None:
            answers.stop()


def start_http_in_thread(
    services: Services,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token_verification: bool = True,
    answer_process: bool = False,
    answer_setup: Callable[[], None] | None = None,
) -> BackgroundServer:
    """Start the HTTP server in a daemon thread (demo and tests); `.url` is its base URL.

    `answer_process`: answer in a child process as `serve` does (its `.answers`), with
    `answer_setup` run there first."""
    tune_switch_interval()
    answers = AnswerProcess(services.settings, setup=answer_setup) if answer_process else None
    wsgi = make_wsgi(services, token_verification=token_verification, answers=answers)
    server = BackgroundServer(
        wsgi,
        host=host,
        port=port,
        threads=HTTP_THREADS,
        name="bot-http",
        on_stop=answers.stop if answers else None,
    )
    server.answers = answers
    return server
