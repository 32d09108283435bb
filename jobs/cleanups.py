"""The `expire-cleanups` job: close cleanup requests nobody decided in time, and
reconcile interrupted ones (bot.remediation.recovery) from what AWS shows.

Each expiry or reconciliation queues the redraw of its messages in the same transaction
(`storage.outbox`); the outbox worker delivers them (here at once, when a bot token is set).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.remediation.recovery import reconcile
from bot.remediation.service import expire_due
from bot.services import Services
from bot.slack.outbound import adopt
from bot.slack.worker import worker_for
from jobs.registry import scheduled
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)


def redraw_request(services: Services, request: CleanupRequest) -> None:
    """Deliver a reconciled request's redraw now (it was queued in the outbox with the
    `reconciled` event; what cannot go now, the outbox worker delivers later)."""
    if services.settings.slack_bot_token is None:
        return
    from bot.slack.announce import deliver_request

    deliver_request(services, request.id)


@scheduled("expire-cleanups", trigger="interval", minutes=15)
def expire_cleanups(services: Services, client: Any = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h), reconcile
    interrupted ones, and update Slack."""
    changed = expire_due(services)
    if changed and (client is not None or services.settings.slack_bot_token is not None):
        adopt(services, client)
        worker_for(services).deliver_due()
    recovered = reconcile(services, redraw_request)
    return f"{len(changed)} cleanup request(s) expired or closed; {recovered.summary()}"
