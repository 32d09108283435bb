"""Block Kit for cleanup requests: the approval message, its outcomes, the requester's copy."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.findings.model import Finding
from bot.findings.prices import format_money
from bot.payloads import RequestButton
from bot.remediation.actions import ACTIONS
from bot.render.common import Blocks, context, error_message, header, section
from bot.render.orphans import who
from storage.models_remediation import CleanupRequest


class CleanupAction(StrEnum):
    """Action ids of the buttons on approval messages."""

    APPROVE = "cleanup_approve"
    REJECT = "cleanup_reject"
    RESTORE = "cleanup_restore"


def when(moment: datetime | None) -> str:
    """`2026-11-30 14:00 UTC`."""
    if moment is None:
        return "—"
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def what(request: CleanupRequest) -> str:
    """What the request does, in one line."""
    return what_finding(Finding.from_json(request.finding))


def what_finding(finding: Finding) -> str:
    """What the cleanup offered for `finding` does, in one line."""
    action = ACTIONS.get(finding.action or "")
    return action.describe(finding) if action else f"{finding.action} `{finding.resource_id}`"


def undo_label(request: CleanupRequest) -> str:
    """The undo button's text ("Restore volume", "Change back", "Undo")."""
    action = ACTIONS.get(request.action)
    return action.undo_label if action else "Undo"


#: What an action that cannot be undone means for the resource, said before approval.
IRREVERSIBLE = {
    "release-address": "Cannot be undone: the address goes back to AWS; a new Elastic IP "
    "would have a different address.",
}


def undone(request: CleanupRequest) -> bool:
    """Whether the cleanup was executed and then undone (it saves nothing)."""
    return request.restore_state == "restored"


def _saves(request: CleanupRequest) -> list[str]:
    if request.kind == "budget":
        return []
    if undone(request):
        return ["*Saves:* nothing now: it was undone"]
    return [f"*Saves:* {format_money(request.monthly_saving)}/month"]


def _facts(request: CleanupRequest) -> str:
    finding = Finding.from_json(request.finding)
    age = f" · {finding.age_days} days old" if finding.age_days is not None else ""
    warning = IRREVERSIBLE.get(request.action)
    return "\n".join(
        [
            f"*What will happen:* {what(request)}",
            *([f":warning: *{warning}*"] if warning else []),
            f"*Where:* {request.region} · account {request.account}",
            f"*Why:* {finding.reason}{age}",
            *_saves(request),
            f"*Team:* {request.team or '—'} · *Owner:* {who(request.owner)} · "
            f"*Requested by:* {who(request.requested_by)}",
        ]
    )


def _button(action: CleanupAction, text: str, request_id: int, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": text},
        "value": RequestButton(id=request_id).encode(),
    }
    if style:
        button["style"] = style
    return button


def status_line(request: CleanupRequest) -> str:
    """Where the request stands, in one line."""
    decided = who(request.decided_by)
    state = request.state
    if state == "pending":
        return f":hourglass: Pending approval; expires {when(request.expires_at)}."
    if state in ("approved", "executing"):
        return f":gear: Approved by {decided}; working on it…"
    if state == "executed":
        line = f":white_check_mark: Approved by {decided}; done: {request.result}"
        if undone(request):
            line += f"\n:leftwards_arrow_with_hook: {_undone_line(request)}"
        return line
    if state == "rejected":
        return f":no_entry_sign: Rejected by {decided}."
    if state == "expired":
        return f":hourglass_flowing_sand: Expired on {when(request.finished_at)}; nothing done."
    return f":x: Approved by {decided}, but it did not happen: {request.result}"


def _undone_line(request: CleanupRequest) -> str:
    """`Volume vol-new (100 GiB gp2, us-east-1a) restored from snapshot snap-1 by @priya`."""
    restore = request.restore or {}
    by = who(request.restored_by)
    sentence = str(restore.get("undone") or "")
    if not sentence:
        verb = "Started again" if request.action.endswith("stop-instance") else "Restored"
        return f"{verb} by {by}."
    if restore.get("snapshot_id") and restore.get("availability_zone"):
        size = f"{restore['size_gb']} GiB " if restore.get("size_gb") else ""
        kind = f"{restore.get('volume_type') or 'gp3'}, "
        sentence = sentence.replace(
            " restored from", f" ({size}{kind}{restore['availability_zone']}) restored from", 1
        )
    return f"{sentence[:1].upper()}{sentence[1:]} by {by}."


def approval_message(request: CleanupRequest, *, deciders: list[str]) -> dict[str, Any]:
    """The message in the owner's channel; buttons while pending, the outcome afterwards."""
    title = f"Cleanup request #{request.id}: save {format_money(request.monthly_saving)}/month"
    if undone(request):
        title = f"Cleanup request #{request.id}: undone"
    if request.kind == "budget":
        title = f"Budget request #{request.id} for team {request.team}"
    blocks: Blocks = [header(title), section(_facts(request)), section(status_line(request))]
    if request.state == "pending":
        names = ", ".join(who(u) for u in deciders) or "nobody (set team approvers or an owner)"
        blocks.append(context(f"May approve: {names}."))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"cleanup-{request.id}",
                "elements": [
                    _button(CleanupAction.APPROVE, "Approve", request.id, "primary"),
                    _button(CleanupAction.REJECT, "Reject", request.id, "danger"),
                ],
            }
        )
    elif request.restore_state == "available" and request.restore_until is not None:
        blocks.append(context(f"Can be restored until {when(request.restore_until)}."))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"restore-{request.id}",
                "elements": [
                    _button(CleanupAction.RESTORE, undo_label(request), request.id, None),
                ],
            }
        )
    return {"text": f"{title} ({request.state})", "blocks": blocks}


def requester_message(request: CleanupRequest) -> dict[str, Any]:
    """The requester's copy (a DM from the bot), updated as the request moves."""
    where = f" in <#{request.channel}>" if request.channel else ""
    saves = (
        "undone, saves nothing"
        if undone(request)
        else f"saves {format_money(request.monthly_saving)}/month"
    )
    text = f"Your cleanup request #{request.id} ({what(request)}, {saves}){where}:"
    return {
        "text": f"Cleanup request #{request.id}: {request.state}",
        "blocks": [section(text), section(status_line(request))],
    }


def request_posted(request: CleanupRequest) -> dict[str, Any]:
    """Ephemeral answer to "Request cleanup": where the request went."""
    where = f"<#{request.channel}>" if request.channel else "the team's channel"
    warning = IRREVERSIBLE.get(request.action)
    return {
        "text": f"Cleanup request #{request.id} is pending approval in {where}.",
        "blocks": [
            section(
                f":hourglass: Cleanup request #{request.id} ({what(request)}) is "
                f"pending approval in {where}." + (f"\n:warning: {warning}" if warning else "")
            )
        ],
        "response_type": "ephemeral",
        "replace_original": False,
    }


def request_queued(request: CleanupRequest, *, channel: str | None, reason: str) -> dict[str, Any]:
    """Ephemeral answer when the approval message could not be posted yet (it will be)."""
    where = f"<#{channel}>" if channel else "the team's channel"
    why = "Slack is rate limiting" if "rate limited" in reason else "Slack did not answer"
    text = (
        f"Cleanup request #{request.id} ({what(request)}) is pending; its approval message "
        f"is queued for {where} ({why}) and will be posted there shortly."
    )
    return {
        "text": f"Cleanup request #{request.id} is queued for {where} ({why}).",
        "blocks": [section(f":hourglass: {text}")],
        "response_type": "ephemeral",
        "replace_original": False,
    }


def request_undeliverable(
    request: CleanupRequest, *, channel: str | None, reason: str, admins: str
) -> dict[str, Any]:
    """Ephemeral: the approval message cannot be posted where it belongs."""
    where = f"<#{channel}>" if channel else "the team's channel"
    return problem(
        f"Cleanup request #{request.id} is recorded (pending) but its approval message "
        f"cannot be posted to {where}: {reason}.",
        hint=f"The bot's admins were told in <#{admins}> (`finops-bot outbox retry` posts it "
        "once the channel is fixed). The request expires if nobody decides.",
    )


def already_open(request: CleanupRequest) -> dict[str, Any]:
    """Ephemeral: this resource already has an open request."""
    return {
        **error_message(
            f"`{request.resource_id}` already has cleanup request #{request.id} ({request.state})."
        ),
        "response_type": "ephemeral",
        "replace_original": False,
    }


def problem(text: str, hint: str | None = None) -> dict[str, Any]:
    """Ephemeral refusal or problem, leaving the original message alone."""
    return {
        **error_message(text, hint=hint),
        "response_type": "ephemeral",
        "replace_original": False,
    }


def closed(request: CleanupRequest) -> dict[str, Any]:
    """Ephemeral: the request is no longer pending."""
    return problem(
        f"Cleanup request #{request.id} is no longer pending.", hint=status_line(request)
    )
