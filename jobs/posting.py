"""Posting alerts at most once: each alert is claimed in `posted_alerts` before it is posted.

The claim is an INSERT on a unique dedupe key, so a second clock, a retry or a restart
finds the key taken and posts nothing. A failed post gives its claim back so the next
run tries again; a process that dies between posting and recording keeps the claim
(at most once: better a missing alert than a duplicate).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.config import ConfigError
from bot.services import Services
from bot.slack_client import make_web_client
from storage.models_alerts import PostedAlert

log = logging.getLogger(__name__)


def web_client(services: Services) -> WebClient:
    """A Slack Web API client for jobs (the same token and API URL as the app)."""
    settings = services.settings
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: jobs cannot post to Slack")
    return make_web_client(settings)


def find_posted(services: Services, key: str) -> PostedAlert | None:
    """The alert posted under `key`, if any."""
    with services.db.session() as session:
        return session.scalar(select(PostedAlert).where(PostedAlert.dedupe_key == key))


def post_once(
    services: Services,
    client: WebClient,
    *,
    key: str,
    kind: str,
    channel: str,
    message: dict[str, Any],
    team: str | None = None,
    detail: dict[str, Any] | None = None,
    claimed_by: str = "",
) -> PostedAlert | None:
    """Post `message` to `channel` unless `key` was posted (or is being posted) already.

    Returns the new PostedAlert, or None when the key was taken. Slack errors are raised
    after the claim is given back.
    """
    now = services.now()
    try:
        with services.db.session() as session:
            alert = PostedAlert(
                dedupe_key=key,
                kind=kind,
                team=team,
                channel=channel,
                ts=None,
                claimed_by=claimed_by,
                posted_at=now,
                detail=detail or {},
            )
            session.add(alert)
    except IntegrityError:
        log.info("alert %s was already posted", key)
        return None
    try:
        answer = client.chat_postMessage(channel=channel, **message)
    except Exception:
        with services.db.session() as session:
            session.execute(delete(PostedAlert).where(PostedAlert.id == alert.id))
        raise
    with services.db.session() as session:
        alert = session.merge(alert)
        alert.ts = str(answer["ts"])
        alert.channel = str(answer.get("channel") or channel)
    return alert


def update_posted(
    services: Services, client: WebClient, *, key: str, message: dict[str, Any]
) -> bool:
    """Replace the message posted under `key` (chat.update); False when there is none."""
    alert = find_posted(services, key)
    if alert is None or not alert.ts:
        return False
    try:
        client.chat_update(channel=alert.channel, ts=alert.ts, **message)
    except SlackApiError as exc:
        log.warning("could not update alert %s: %s", key, exc.response.get("error"))
        return False
    with services.db.session() as session:
        alert = session.merge(alert)
        alert.updated_at = services.now()
    return True


def reply_in_thread(services: Services, client: WebClient, *, key: str, text: str) -> bool:
    """Post `text` as a thread reply under the message posted under `key`; False when there
    is no such message or Slack refused."""
    alert = find_posted(services, key)
    if alert is None or not alert.ts:
        return False
    try:
        client.chat_postMessage(channel=alert.channel, thread_ts=alert.ts, text=text)
    except SlackApiError as exc:
        log.warning("could not reply under alert %s: %s", key, exc.response.get("error"))
        return False
    return True
