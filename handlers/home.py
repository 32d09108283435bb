"""The App Home tab: published for a user when they open it (`app_home_opened`), and
again after they act on it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.home import home_data
from bot.render.home import home_view
from bot.services import Services
from handlers.views import email_resolver, publish_home

log = logging.getLogger(__name__)

EVENT = "app_home_opened"


def refresh_home(
    client: WebClient, services: Services, user: str, *, answers: list[str] | None = None
) -> bool:
    """Compute and publish `user`'s Home tab (with the bot's `answers` on top, e.g. why an
    Approve was refused)."""
    data = home_data(services, user, resolve_email=email_resolver(client))
    data.answers = list(answers or [])
    days = services.config.remediation.restore_window_days
    return publish_home(client, user, home_view(data, restore_days=days))


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Publish the Home tab of whoever opened it (the Messages tab is left alone)."""
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
        return
    refresh_home(client, context["services"], user)
