"""Delivering a cleanup request's messages now, for the handler that is answering the click.

The rows were queued with the state change (`storage.outbox.request_changed`); this tries
them once right away so the requester hears where the request went. Whatever could not go
yet stays queued for the worker: the request is pending all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import Services
from bot.slack.worker import worker_for
from storage import outbox


@dataclass(frozen=True)
class Announcement:
    """`state`: delivered, queued (will be delivered) or failed (undeliverable)."""

    state: str
    channel: str | None
    reason: str = ""

    @property
    def rate_limited(self) -> bool:
        """Slack asked the bot to wait."""
        return "rate limited" in self.reason


def deliver_request(services: Services, request_id: int) -> Announcement:
    """Try the request's approval message and requester's copy now; how the approval went."""
    key = outbox.approval_key(request_id)
    rows = worker_for(services).deliver_keys([key, outbox.requester_key(request_id)])
    row = rows.get(key)
    if row is None:
        return Announcement("failed", None, "nothing was queued")
    if row.state == "delivered" or (row.ts and row.state == "pending"):
        return Announcement("delivered", row.channel)
    if row.state == "failed":
        return Announcement("failed", row.channel, row.last_error)
    return Announcement("queued", row.channel, row.last_error)
