"""Web API calls of the Slack surfaces (modals, App Home, the owner lookup), one small
function each, so they move as they are into the one outbound Slack module."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.remediation.authz import EmailResolver

log = logging.getLogger(__name__)


def email_resolver(client: WebClient) -> EmailResolver:
    """Owner emails to Slack user ids, with users.lookupByEmail (None when unknown)."""

    def resolve(email: str) -> str | None:
        try:
            return str(client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as exc:
            log.info("no Slack user for owner %s: %s", email, exc.response.get("error"))
            return None

    return resolve


def open_modal(client: WebClient, trigger_id: str, view: dict[str, Any]) -> bool:
    """views.open; False (logged) when Slack refuses it (an expired trigger, say)."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return False
    return True


def publish_home(client: WebClient, user_id: str, view: dict[str, Any]) -> bool:
    """views.publish of a user's App Home; False (logged) when Slack refuses it."""
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))
        return False
    return True
