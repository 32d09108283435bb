"""The `expire-cleanups` job: close cleanup requests nobody decided in time, and
reconcile interrupted ones (bot.remediation.recovery) from what AWS shows."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.remediation.recovery import reconcile
from bot.remediation.service import expire_due
from bot.services import Services
from bot.slack_client import make_web_client
from jobs.registry import scheduled
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)


def slack_client(services: Services) -> WebClient | None:
    """A Web API client from the settings (None when no bot token is set)."""
    if services.settings.slack_bot_token is None:
        return None
    return make_web_client(services.settings)


def redraw_request(services: Services, request: CleanupRequest) -> None:
    """Redraw a request's Slack messages to its true state after recovery. The one place
    recovery posts through (switch it to the durable outbox when that lands)."""
    from handlers.cleanup_actions import refresh_messages

    client = slack_client(services)
    if client is not None:
        refresh_messages(client, services, request)


@scheduled("expire-cleanups", trigger="interval", minutes=15)
def expire_cleanups(services: Services, client: WebClient | None = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h) and update Slack."""
    from handlers.cleanup_actions import refresh_messages

    changed = expire_due(services)
    client = client or slack_client(services)
    if client is not None:
        for request in changed:
            refresh_messages(client, services, request)
    recovered = reconcile(services, redraw_request)
    return f"{len(changed)} cleanup request(s) expired or closed; {recovered.summary()}"
