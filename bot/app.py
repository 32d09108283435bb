"""The Slack Bolt app factory."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr
from slack_bolt import App, BoltContext
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.config import ConfigError
from bot.render.common import error_message
from bot.services import Services
from bot.slack_client import make_web_client

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_app(services: Services, *, token_verification: bool = True) -> App:
    """A Bolt app wired to `services`, with every handler registered.

    The Web API client talks to `SLACK_API_URL`, so the local console can stand in for Slack.
    """
    from handlers import register

    settings = services.settings
    client = make_web_client(settings)
    secret = settings.slack_signing_secret
    try:
        app = _new_app(client, secret, token_verification)
    except Exception as exc:  # Bolt checks the token with auth.test when it starts
        raise ConfigError(
            f"Slack Web API check (auth.test at {settings.slack_api_url}) failed: "
            f"{_reason(exc)}. Check SLACK_BOT_TOKEN and SLACK_API_URL."
        ) from None
    app.middleware(_services_middleware(services))
    app.error(_answer_errors)
    register(app)
    return app


def _new_app(client: WebClient, secret: SecretStr | None, token_verification: bool) -> App:
    return App(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
        token_verification_enabled=token_verification,
        process_before_response=False,
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


def _answer_errors(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    """Log a failed listener and tell the user plainly instead of leaving them waiting."""
    logger.exception("listener failed: %s", type(error).__name__, exc_info=error)
    url = body.get("response_url") or next(
        (a.get("response_url") for a in body.get("response_urls", []) or []), None
    )
    message = error_message(
        "Something went wrong on our side while answering this.",
        hint="It has been logged. Try again in a minute; if it keeps failing, "
        "tell the bot's admins.",
    )
    if url:
        try:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(url, timeout=5).send(
                text=message["text"], blocks=message["blocks"], response_type="ephemeral"
            )
        except Exception:  # pragma: no cover - best effort
            logger.warning("could not deliver the error message to response_url")
    return BoltResponse(status=200, body="")
