"""The App Home tab: published for a user when they open it (`app_home_opened`), and
again after they act on it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from bot.home import home_data
from bot.render.home import home_view
from bot.services import Services
from bot.slack.outbound import outbound_for
from handlers.views import publish_home

log = logging.getLogger(__name__)

EVENT = "app_home_opened"


def refresh_home(services: Services, user: str, *, answers: list[str] | None = None) -> bool:
    """Compute and publish `user`'s Home tab (with the bot's `answers` on top, e.g. why an
    Approve was refused)."""
    data = home_data(services, user, resolve_email=outbound_for(services).lookup_email)
    data.answers = list(answers or [])
    days = services.config.remediation.restore_window_days
    return publish_home(services, user, home_view(data, restore_days=days))


def handle_app_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    """Publish the Home tab of whoever opened it (the Messages tab is left alone)."""
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
        return
    refresh_home(context["services"], user)
