"""Buttons: Request cleanup, Approve, Reject, Restore, Show more.

Every listener acks first (Slack retries a click it has no answer to within 3 s), then
does the AWS and database work; the database state machine makes retries harmless.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.findings.scope import ScanFilter
from bot.remediation import requests as store
from bot.remediation import service
from bot.remediation.authz import EmailResolver, deciders
from bot.render import remediation as render
from bot.services import Services
from handlers.orphans import orphans_answer
from storage.models_remediation import CleanupRequest

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


def refresh_messages(client: WebClient, services: Services, request: CleanupRequest) -> None:
    """Show the request's current state in the approval message and the requester's copy."""
    people = (
        deciders(
            services.config,
            team=request.team,
            owner=request.owner,
            resolve_email=email_resolver(client),
        )
        if request.state == "pending"
        else []
    )
    updates = [
        (request.channel, request.message_ts, render.approval_message(request, deciders=people)),
        (request.requester_channel, request.requester_ts, render.requester_message(request)),
    ]
    for channel, ts, message in updates:
        if not channel or not ts:
            continue
        try:
            client.chat_update(channel=channel, ts=ts, **message)
        except SlackApiError as exc:
            log.warning("could not update %s/%s: %s", channel, ts, exc.response.get("error"))


def _post(client: WebClient, channels: list[str], message: dict[str, Any]) -> Any:
    """Post to the first channel that accepts the message (None when none does)."""
    for channel in channels:
        try:
            return client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            log.warning("could not post to %s: %s", channel, exc.response.get("error"))
    return None


def handle_request_cleanup(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Open a request and post it to the owner's channel with Approve and Reject."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    try:
        data = json.loads(action["value"])
        ref = service.ResourceRef(
            kind=data["k"], region=data["r"], account=data["a"], resource_id=data["id"]
        )
    except (KeyError, TypeError, ValueError):
        respond(**render.problem("That button is out of date.", hint="Run `/orphans` again."))
        return
    result = service.request_cleanup(services, ref, user=user)
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No cleanup requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)


def announce_request(
    client: WebClient, services: Services, request: Any, *, user: str, respond: Respond
) -> None:
    """Post a new request to its team's channel with Approve/Reject and tell the requester."""
    config = services.config
    team_channel = config.teams[request.team].channel if request.team in config.teams else None
    people = deciders(
        config, team=request.team, owner=request.owner, resolve_email=email_resolver(client)
    )
    channels = [c for c in (team_channel, config.default_channel) if c]
    posted = _post(client, channels, render.approval_message(request, deciders=people))
    if posted is None:
        respond(
            **render.problem(
                f"Request #{request.id} was recorded but could not be posted to "
                f"{', '.join(f'<#{c}>' for c in channels)}.",
                hint="Invite the bot to that channel; the request expires if nobody decides.",
            )
        )
        return
    request.channel, request.message_ts = posted["channel"], posted["ts"]
    mine = _post(client, [user], render.requester_message(request))
    if mine is not None:
        request.requester_channel, request.requester_ts = mine["channel"], mine["ts"]
    with services.db.session() as session:
        store.set_fields(
            session,
            request.id,
            channel=request.channel,
            message_ts=request.message_ts,
            requester_channel=request.requester_channel,
            requester_ts=request.requester_ts,
        )
    respond(**render.request_posted(request))


def _decide(
    approve: bool,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    services: Services,
) -> None:
    user = body["user"]["id"]
    try:
        request_id = int(action["value"])
    except (KeyError, ValueError):
        respond(**render.problem("That button is out of date."))
        return
    decision = service.decide(
        services, request_id, user=user, approve=approve, resolve_email=email_resolver(client)
    )
    verb = "approve" if approve else "reject"
    if decision.request is None or decision.outcome == "missing":
        respond(**render.problem(decision.reason or f"No cleanup request #{request_id}."))
        return
    if decision.outcome == "refused":
        respond(
            **render.problem(
                f"You can't {verb} cleanup request #{request_id}: {decision.reason}.",
                hint="Nothing was changed.",
            )
        )
        return
    if decision.outcome == "closed":
        respond(**render.closed(decision.request))
        return
    refresh_messages(client, services, decision.request)
    if approve:
        execution = service.execute(services, request_id)
        if execution.request is not None:
            refresh_messages(client, services, execution.request)


def handle_approve(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Approve (if allowed) and execute once."""
    ack()
    _decide(True, body, action, respond, client, context["services"])


def handle_reject(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Reject (if allowed)."""
    ack()
    _decide(False, body, action, respond, client, context["services"])


def handle_restore(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Undo an executed request (within the window, once): restore a deleted volume from
    its snapshot, start a stopped instance, change a type back, ..."""
    ack()
    services: Services = context["services"]
    try:
        request_id = int(action["value"])
    except (KeyError, ValueError):
        respond(**render.problem("That button is out of date."))
        return
    outcome = service.restore(
        services, request_id, user=body["user"]["id"], resolve_email=email_resolver(client)
    )
    if outcome.outcome == "restored" and outcome.request is not None:
        refresh_messages(client, services, outcome.request)
        return
    if outcome.outcome == "failed" and outcome.request is not None:
        respond(
            **render.problem(
                f"Undo failed: {outcome.message}",
                hint="Nothing was undone and the undo is still available "
                "(a deleted volume's snapshot is kept); try again.",
            )
        )
        return
    respond(**render.problem(f"Can't undo: {outcome.message}."))


def handle_show_more(
    ack: Ack,
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """Replace the `/orphans` answer with its next page."""
    ack()
    services: Services = context["services"]
    try:
        data = json.loads(action["value"])
        scope = ScanFilter(team=data.get("team"), region=data.get("region"), kind=data.get("kind"))
        offset = int(data["offset"])
    except (KeyError, TypeError, ValueError):
        respond(**render.problem("That button is out of date.", hint="Run `/orphans` again."))
        return
    respond(
        **orphans_answer(services, scope, offset=offset),
        replace_original=True,
        response_type="ephemeral",
    )
