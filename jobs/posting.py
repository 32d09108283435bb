"""Posting alerts at most once, durably: each alert is claimed in `posted_alerts` and queued
in the outbox in one transaction, then delivered by the outbox worker.

The claim is an INSERT on a unique dedupe key, so a second clock, a retry or a restart
finds the key taken and queues nothing. The outbox row carries the same key: a delivery
that is retried (after a 429, an outage or a crash) posts one message, in its channel.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.config import ConfigError
from bot.services import Services
from bot.slack.outbound import Outbound, adopt, outbound_for
from bot.slack.worker import worker_for
from storage import outbox
from storage.models_alerts import PostedAlert

log = logging.getLogger(__name__)


def web_client(services: Services) -> Outbound:
    """The outbound Slack module for jobs (the same token and API URL as the app)."""
    settings = services.settings
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: jobs cannot post to Slack")
    return outbound_for(services)


def find_posted(services: Services, key: str) -> PostedAlert | None:
    """The alert posted (or queued) under `key`, if any."""
    with services.db.session() as session:
        return session.scalar(select(PostedAlert).where(PostedAlert.dedupe_key == key))


def claim_share(services: Services, *, key: str, channel: str) -> bool:
    """Claim one answer's sharing (a second click, even on another replica, loses)."""
    try:
        with services.db.session() as session:
            session.add(
                PostedAlert(dedupe_key=key[:255], kind="share", channel=channel[:32], ts=None)
            )
    except IntegrityError:
        return False
    return True


def release_share(services: Services, *, key: str) -> None:
    """Give the claim back when posting failed, so a new click can share."""
    with services.db.session() as session:
        session.execute(delete(PostedAlert).where(PostedAlert.dedupe_key == key[:255]))


def post_once(
    services: Services,
    client: Any,
    *,
    key: str,
    kind: str,
    channel: str,
    message: dict[str, Any],
    team: str | None = None,
    detail: dict[str, Any] | None = None,
    claimed_by: str = "",
) -> PostedAlert | None:
    """Queue `message` for `channel` unless `key` was queued already, and try it now.

    Returns the new PostedAlert (its `ts` is set once Slack has it), or None when the key
    was taken. What cannot be delivered now (429, outage) stays queued for the worker.
    """
    try:
        with services.db.session() as session:
            alert = PostedAlert(
                dedupe_key=key,
                kind=kind,
                team=team,
                channel=channel,
                ts=None,
                claimed_by=claimed_by,
                posted_at=services.now(),
                detail=detail or {},
            )
            session.add(alert)
            session.flush()
            outbox.enqueue(
                session,
                key=key,
                purpose=kind,
                channel=channel,
                content={"message": message, "alert_key": key},
            )
    except IntegrityError:
        log.info("alert %s was already posted", key)
        return None
    adopt(services, client)
    worker_for(services).deliver_keys([key])
    return find_posted(services, key)


def update_posted(services: Services, client: Any, *, key: str, message: dict[str, Any]) -> bool:
    """Show a new version of the alert under `key` (chat.update, durably); False when
    there is none."""
    with services.db.session() as session:
        alert = session.scalar(select(PostedAlert).where(PostedAlert.dedupe_key == key))
        if not outbox.replace(session, key=key, message=message):
            if alert is None or not alert.ts:
                return False
            # posted before the outbox existed: queue the update of the known message
            row = outbox.message(
                session, key=key, purpose=alert.kind, channel=alert.channel, message=message
            )
            row.ts = alert.ts
            row.content = {"message": message, "alert_key": key}
        if alert is not None:
            alert.updated_at = services.now()
    adopt(services, client)
    worker_for(services).deliver_keys([key])
    return True


def reply_in_thread(services: Services, client: Any, *, key: str, text: str) -> bool:
    """Queue `text` as a thread reply under the message posted under `key` (once per text);
    False when there is no such message yet."""
    alert = find_posted(services, key)
    if alert is None or not alert.ts:
        return False
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    reply_key = f"reply:{key}:{digest}"
    with services.db.session() as session:
        outbox.message(
            session,
            key=reply_key,
            purpose="reply",
            channel=alert.channel,
            message={"text": text, "thread_ts": alert.ts},
        )
    adopt(services, client)
    sent = worker_for(services).deliver_keys([reply_key]).get(reply_key)
    return sent is not None and sent.state != "failed"
