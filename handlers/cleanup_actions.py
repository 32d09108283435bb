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
from bot.payloads import RejectForm, RequestButton, ResourceButton, ShowMoreButton
from bot.remediation import service
from bot.render import remediation as render
from bot.services import Services
from bot.slack.announce import deliver_request
from bot.slack.outbound import outbound_for
from handlers.home import refresh_home
from handlers.orphans import orphans_answer
from handlers.views import open_modal
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
    fresh = service.get_request(services, request.id) or request
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
    if decision.outcome == "unrecorded":
        respond(**render.problem(decision.reason, hint="Try again in a few minutes."))
        return
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
        if execution.outcome == "unrecorded":
            respond(**render.problem(execution.message))
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
    """Ask for an optional reason in a modal; the modal's submission rejects. Without a
    trigger (or when the modal cannot open) it rejects at once, without a reason."""
    ack()
    ask_reason(body, value, respond, client, context["services"])


def ask_reason(
    body: dict[str, Any],
    value: RequestButton,
    respond: Respond,
    client: WebClient,
    services: Services,
    *,
    from_home: bool = False,
) -> None:
    """Open the reject modal for the request the button names (or say why not)."""
    request_id = value.id
    request = service.get_request(services, request_id)
    if request is None:
        respond(**render.problem(f"No cleanup request #{request_id}."))
        return
    if request.state != "pending":
        respond(**render.closed(request))
        return
    trigger = body.get("trigger_id")
    modal = render.reject_modal(request, from_home=from_home)
    if isinstance(trigger, str) and open_modal(services, trigger, modal):
        return
    _decide(False, body, value, respond, client, services)


def handle_reject_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, value: RejectForm
) -> None:
    """The reject modal was submitted: reject with its reason, or show why not in the modal."""
    services: Services = context["services"]
    user = str((body.get("user") or {}).get("id") or "")
    request_id, from_home = value.id, value.home
    decision = service.decide(
        services,
        request_id,
        user=user,
        approve=False,
        resolve_email=outbound_for(services).lookup_email,
        reason=render.reason_from(view),
    )
    if decision.outcome not in ("rejected",) or decision.request is None:
        if decision.outcome == "refused":
            problem = f"You can't reject cleanup request #{request_id}: {decision.reason}."
        elif decision.outcome == "closed" and decision.request is not None:
            problem = f"Request #{request_id} is no longer pending ({decision.request.state})."
        else:
            problem = decision.reason or f"No cleanup request #{request_id}."
        ack(response_action="errors", errors={render.REASON_BLOCK: problem[:150]})
        return
    ack()
    refresh_messages(services, decision.request)
    if from_home:
        refresh_home(services, user)


def handle_home_approve(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, value: RequestButton
) -> None:
    """Approve from the Home tab: like the channel's button; the tab is published again,
    with what went wrong (a Home tab has no response_url to answer on)."""
    ack()
    services: Services = context["services"]
    notes: list[str] = []
    _decide(True, body, value, _noting(notes), client, services)
    refresh_home(services, str(body["user"]["id"]), answers=notes)


def handle_home_reject(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, value: RequestButton
) -> None:
    """Reject from the Home tab: the same reason modal."""
    ack()
    services: Services = context["services"]
    notes: list[str] = []
    ask_reason(body, value, _noting(notes), client, services, from_home=True)
    if notes:
        refresh_home(services, str(body["user"]["id"]), answers=notes)


def _noting(notes: list[str]) -> Respond:
    """A `respond` stand-in that keeps what would have been said (for the Home tab)."""

    def keep(text: str = "", **message: Any) -> None:
        notes.append(f":warning: {message.get('text') or text}")

    return keep  # type: ignore[return-value]


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
    respond(
        **orphans_answer(
            services, scope, offset=value.offset, after=tuple(value.k or ()), since=value.t
        ),
        replace_original=True,
        response_type="ephemeral",
    )
