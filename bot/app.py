"""The Slack Bolt app factory."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr
from slack_bolt import App, BoltContext
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.config import ConfigError
from bot.dispatch import Dispatcher
from bot.services import Services
from bot.slack_client import make_web_client
from bot.workers import AnswerPool, pool_from_env

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_app(
    services: Services,
    *,
    token_verification: bool = True,
    pool: AnswerPool | None = None,
    acks_elsewhere: bool = False,
) -> App:
    """A Bolt app wired to `services`, with every handler registered.

    Every listener runs through one Dispatcher on the bot's own answer pool (`pool`, or one
    sized from FINOPS_ANSWER_WORKERS). With `acks_elsewhere` the app answers requests
    another process verified and acked (bot/answers): it checks no signature and delivers
    what handlers ack through the response_url. The Web API client talks to `SLACK_API_URL`, so the
    local console can stand in for Slack.
    """
    from handlers import register

    settings = services.settings
    client = make_web_client(settings)
    secret = settings.slack_signing_secret
    try:
        app = _new_app(client, None if acks_elsewhere else secret, token_verification)
    except Exception as exc:  # Bolt checks the token with auth.test when it starts
        raise ConfigError(
            f"Slack Web API check (auth.test at {settings.slack_api_url}) failed: "
            f"{_reason(exc)}. Check SLACK_BOT_TOKEN and SLACK_API_URL."
        ) from None
    dispatcher = Dispatcher(services, pool or pool_from_env(), acks_elsewhere=acks_elsewhere)
    app.middleware(_services_middleware(services))
    app.error(_error_handler(dispatcher))
    register(app, dispatcher)
    return app


def _new_app(client: WebClient, secret: SecretStr | None, token_verification: bool) -> App:
    return App(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
        token_verification_enabled=token_verification,
        # Listeners only hand work to our pool and return its ack (bot/dispatch.py), so
        # Bolt runs them inline and never on its own executor with a 3-second give-up.
        process_before_response=True,
        logger=_bolt_logger(),
    )


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc).splitlines()[0]


def _services_middleware(services: Services) -> Any:
    def inject_services(context: BoltContext, next: Any) -> Any:
        context["services"] = services
        return next()

    return inject_services


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bolt")
    if not any(isinstance(f, _QuietTokenWarning) for f in logger.filters):
        logger.addFilter(_QuietTokenWarning())
    return logger


def _error_handler(dispatcher: Dispatcher) -> Any:
    def answer_errors(error: Exception, body: dict[str, Any]) -> BoltResponse:
        """Log a failure inside Bolt and tell the user plainly, only through a Slack
        response URL of this (already verified) request."""
        dispatcher.answer_error(body, error)
        return BoltResponse(status=200, body="")

    return answer_errors
