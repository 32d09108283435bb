"""Buttons: Request cleanup, Approve, Reject, Restore, Show more.

Every listener acks first (Slack retries a click it has no answer to within 3 s), then
does the AWS and database work; the database state machine makes retries harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.findings.scope import ScanFilter
from bot.payloads import RequestButton, ResourceButton, ShowMoreButton
from bot.remediation import requests as store
from bot.remediation import service
from bot.render import remediation as render
from bot.services import Services
from bot.slack.announce import deliver_request
from bot.slack.outbound import outbound_for
from handlers.orphans import orphans_answer
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)


def refresh_messages(services: Services, request: CleanupRequest) -> None:
    """Show the request's current state in its messages now (queued with the change;
    what cannot go now, after a 429 say, the outbox worker delivers later)."""
    deliver_request(services, request.id)


def handle_request_cleanup(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: ResourceButton,
) -> None:
    """Open a request and post it to the owner's channel with Approve and Reject."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    ref = service.ResourceRef(kind=value.k, region=value.r, account=value.a, resource_id=value.id)
    result = service.request_cleanup(services, ref, user=user)
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No cleanup requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)


def announce_request(
    client: Any, services: Services, request: Any, *, user: str, respond: Respond
) -> None:
    """Deliver a new request's approval message (queued with the request) and tell the
    requester where it went, or that it is queued (Slack rate limiting) and will be."""
    sent = deliver_request(services, request.id)
    with services.db.session() as session:
        fresh = store.get_request(session, request.id) or request
    if sent.state == "delivered":
        respond(**render.request_posted(fresh))
    elif sent.state == "queued":
        respond(**render.request_queued(fresh, channel=sent.channel, reason=sent.reason))
    else:
        respond(
            **render.request_undeliverable(
                fresh,
                channel=sent.channel,
                reason=sent.reason,
                admins=services.config.default_channel,
            )
        )


def _decide(
    approve: bool,
    body: dict[str, Any],
    value: RequestButton,
    respond: Respond,
    client: WebClient,
    services: Services,
) -> None:
    user = body["user"]["id"]
    request_id = value.id
    decision = service.decide(
        services,
        request_id,
        user=user,
        approve=approve,
        resolve_email=outbound_for(services).lookup_email,
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
    refresh_messages(services, decision.request)
    if approve:
        execution = service.execute(services, request_id)
        if execution.request is not None:
            refresh_messages(services, execution.request)


def handle_approve(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: RequestButton,
) -> None:
    """Approve (if allowed) and execute once."""
    ack()
    _decide(True, body, value, respond, client, context["services"])


def handle_reject(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: RequestButton,
) -> None:
    """Reject (if allowed)."""
    ack()
    _decide(False, body, value, respond, client, context["services"])


def handle_restore(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: RequestButton,
) -> None:
    """Undo an executed request (within the window, once): restore a deleted volume from
    its snapshot, start a stopped instance, change a type back, ..."""
    ack()
    services: Services = context["services"]
    request_id = value.id
    outcome = service.restore(
        services,
        request_id,
        user=body["user"]["id"],
        resolve_email=outbound_for(services).lookup_email,
    )
    if outcome.outcome == "restored" and outcome.request is not None:
        refresh_messages(services, outcome.request)
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
    value: ShowMoreButton,
) -> None:
    """Replace the `/orphans` answer with its next page."""
    ack()
    services: Services = context["services"]
    scope = ScanFilter(team=value.team, region=value.region, kind=value.kind)
    offset = value.offset
    respond(
        **orphans_answer(services, scope, offset=offset),
        replace_original=True,
        response_type="ephemeral",
    )
