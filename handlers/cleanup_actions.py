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

from bot.orphans.scanner import ScanFilter
from bot.remediation import requests as store
from bot.remediation import service
from bot.remediation.authz import deciders
from bot.render import remediation as render
from bot.services import Services
from handlers.home import refresh_home
from handlers.orphans import orphans_answer
from handlers.views import email_resolver, open_modal
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)


def approval(services: Services, request: CleanupRequest, people: list[str]) -> dict[str, Any]:
    """The approval message (its confirm dialogs name the configured restore window)."""
    days = services.config.remediation.restore_window_days
    return render.approval_message(request, deciders=people, restore_days=days)


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
        (request.channel, request.message_ts, approval(services, request, people)),
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
    posted = _post(client, channels, approval(services, request, people))
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
    """Ask for an optional reason in a modal; the modal's submission rejects. Without a
    trigger (or when the modal cannot open) it rejects at once, without a reason."""
    ack()
    ask_reason(body, action, respond, client, context["services"])


def ask_reason(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    services: Services,
    *,
    from_home: bool = False,
) -> None:
    """Open the reject modal for the request the button names (or say why not)."""
    try:
        request_id = int(action["value"])
    except (KeyError, ValueError):
        respond(**render.problem("That button is out of date."))
        return
    with services.db.session() as session:
        request = store.get_request(session, request_id)
    if request is None:
        respond(**render.problem(f"No cleanup request #{request_id}."))
        return
    if request.state != "pending":
        respond(**render.closed(request))
        return
    trigger = body.get("trigger_id")
    modal = render.reject_modal(request, from_home=from_home)
    if isinstance(trigger, str) and open_modal(client, trigger, modal):
        return
    _decide(False, body, action, respond, client, services)


def handle_reject_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The reject modal was submitted: reject with its reason, or show why not in the modal."""
    services: Services = context["services"]
    user = str((body.get("user") or {}).get("id") or "")
    try:
        request_id, from_home = render.parse_reject_metadata(view.get("private_metadata"))
    except ValueError:
        ack(response_action="errors", errors={render.REASON_BLOCK: "This form is out of date."})
        return
    decision = service.decide(
        services,
        request_id,
        user=user,
        approve=False,
        resolve_email=email_resolver(client),
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
    refresh_messages(client, services, decision.request)
    if from_home:
        refresh_home(client, services, user)


def handle_home_approve(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Approve from the Home tab: like the channel's button; the tab is published again,
    with what went wrong (a Home tab has no response_url to answer on)."""
    ack()
    services: Services = context["services"]
    notes: list[str] = []
    _decide(True, body, action, _noting(notes), client, services)
    refresh_home(client, services, str(body["user"]["id"]), answers=notes)


def handle_home_reject(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Reject from the Home tab: the same reason modal."""
    ack()
    services: Services = context["services"]
    notes: list[str] = []
    ask_reason(body, action, _noting(notes), client, services, from_home=True)
    if notes:
        refresh_home(client, services, str(body["user"]["id"]), answers=notes)


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
