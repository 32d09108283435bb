"""Expiry of cleanup requests: expire undecided requests and show it in Slack.

Scheduled by `jobs/cleanups.py`. Requests are also expired lazily whenever someone clicks
on one. Each expiry queues the redraw of its messages in the same transaction
(`bot.slack.outbox`); the outbox worker delivers them.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.remediation.service import expire_due
from bot.services import Services

log = logging.getLogger(__name__)


def expire_and_refresh(services: Services, client: Any = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h) and update Slack."""
    from bot.slack.worker import worker_for

    changed = expire_due(services)
    if changed and services.settings.slack_bot_token is not None:
        worker_for(services).deliver_due()
    return f"{len(changed)} cleanup request(s) expired or closed"
