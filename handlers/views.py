"""The Slack surfaces' Web API calls (modals, App Home), through the one outbound module."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from bot.slack.outbound import SlackFailure, outbound_for

log = logging.getLogger(__name__)


def open_modal(services: Services, trigger_id: str, view: dict[str, Any]) -> bool:
    """views.open; False (logged) when Slack refuses it (an expired trigger, say)."""
    try:
        outbound_for(services).views_open(trigger_id, view)
    except SlackFailure as exc:
        log.warning("views.open failed: %s", exc.error)
        return False
    return True


def publish_home(services: Services, user_id: str, view: dict[str, Any]) -> bool:
    """views.publish of a user's App Home; False (logged) when Slack refuses it."""
    try:
        outbound_for(services).views_publish(user_id, view)
    except SlackFailure as exc:
        log.warning("views.publish for %s failed: %s", user_id, exc.error)
        return False
    return True
