"""The `expire-cleanups` job: close cleanup requests nobody decided in time."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from jobs.registry import scheduled


@scheduled("expire-cleanups", trigger="interval", minutes=15)
def expire_cleanups(services: Services, client: Any = None) -> str:
    """Expire cleanup requests nobody decided in time (default 72 h) and update Slack."""
    from bot.remediation.expiry import expire_and_refresh

    return expire_and_refresh(services, client)
