"""Outbox messages drawn at delivery time, from the state as it is then.

A cleanup request's approval message and the requester's copy are rendered when the worker
delivers them, so a redraw that waited out a 429 still shows the request's real state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.remediation import requests as store
from bot.remediation.authz import deciders
from bot.render import remediation as render
from bot.services import Services
from bot.slack.outbound import Outbound, Posted
from storage import outbox


@dataclass(frozen=True)
class Drawn:
    """What to deliver now: the channel (or user id) and the message."""

    channel: str
    message: dict[str, Any]


def team_channel(services: Services, team: str | None) -> str:
    """The team's channel; no team or an unknown one: default_channel."""
    known = services.config.teams.get(team) if team else None
    return known.channel if known else services.config.default_channel


def _approval(
    services: Services, outbound: Outbound, content: dict[str, Any], channel: str | None
) -> Drawn | None:
    with services.db.session() as session:
        request = store.get_request(session, int(content["request_id"]))
    if request is None:
        return None
    people = (
        deciders(
            services.config,
            team=request.team,
            owner=request.owner,
            resolve_email=outbound.lookup_email_strict,
        )
        if request.state == "pending"
        else []
    )
    where = channel or request.channel or team_channel(services, request.team)
    days = services.config.remediation.restore_window_days
    return Drawn(where, render.approval_message(request, deciders=people, restore_days=days))


def _requester(
    services: Services, outbound: Outbound, content: dict[str, Any], channel: str | None
) -> Drawn | None:
    with services.db.session() as session:
        request = store.get_request(session, int(content["request_id"]))
    if request is None:
        return None
    where = channel or request.requester_channel or request.requested_by
    return Drawn(where, render.requester_message(request))


Renderer = Callable[[Services, Outbound, dict[str, Any], str | None], Drawn | None]
RENDERERS: dict[str, Renderer] = {
    outbox.REQUEST_APPROVAL: _approval,
    outbox.REQUEST_REQUESTER: _requester,
}


def after_delivery(services: Services, content: dict[str, Any], posted: Posted) -> None:
    """Remember where a rendered message landed (the request's message_ts, ...)."""
    name = content.get("render")
    if name not in RENDERERS:
        return
    request_id = int(content["request_id"])
    with services.db.session() as session:
        request = store.get_request(session, request_id)
        if request is None:
            return
        if name == outbox.REQUEST_APPROVAL and request.message_ts != posted.ts:
            store.set_fields(session, request_id, channel=posted.channel, message_ts=posted.ts)
            # the requester's copy names the channel: redraw it if it went out without
            outbox.replace(session, key=outbox.requester_key(request_id))
        if name == outbox.REQUEST_REQUESTER and request.requester_ts != posted.ts:
            store.set_fields(
                session, request_id, requester_channel=posted.channel, requester_ts=posted.ts
            )
