"""The `expire-cleanups` job: close cleanup requests nobody decided in time.

Each expiry queues the redraw of its messages in the same transaction (`bot.slack.outbox`);
the outbox worker delivers them (here at once, when a bot token is set).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.remediation.service import expire_due
from bot.services import Services
from bot.slack.outbound import adopt
from bot.slack.worker import worker_for
from jobs.registry import scheduled

log = logging.getLogger(__name__)


@scheduled("expire-cleanups", trigger="interval", minutes=15)
def expire_cleanups(services: Services, client: Any = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h) and update Slack."""
    changed = expire_due(services)
    if changed and (client is not None or services.settings.slack_bot_token is not None):
        adopt(services, client)
        worker_for(services).deliver_due()
    return f"{len(changed)} cleanup request(s) expired or closed"
