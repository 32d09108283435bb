"""The `expire-cleanups` job: close cleanup requests nobody decided in time."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.remediation.service import expire_due
from bot.services import Services
from bot.slack_client import make_web_client
from jobs.registry import scheduled

log = logging.getLogger(__name__)


def slack_client(services: Services) -> WebClient | None:
    """A Web API client from the settings (None when no bot token is set)."""
    if services.settings.slack_bot_token is None:
        return None
    return make_web_client(services.settings)


@scheduled("expire-cleanups", trigger="interval", minutes=15)
def expire_cleanups(services: Services, client: WebClient | None = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h) and update Slack."""
    from handlers.cleanup_actions import refresh_messages

    changed = expire_due(services)
    client = client or slack_client(services)
    if client is not None:
        for request in changed:
            refresh_messages(client, services, request)
    return f"{len(changed)} cleanup request(s) expired or closed"
