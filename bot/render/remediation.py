"""Block Kit for cleanup requests: the approval message, its outcomes, the requester's copy."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.findings.model import Finding
from bot.findings.prices import format_money
from bot.payloads import RejectForm, RequestButton
from bot.remediation.actions import ACTIONS
from bot.render.common import (
    Blocks,
    confirm_dialog,
    context,
    error_message,
    fallback,
    header,
    section,
)
from bot.render.orphans import who
from bot.render.text import code, esc, mention_channel, tag_value
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
    if action is None:
        return f"{esc(finding.action)} {code(finding.resource_id)}"
    return esc(action.describe(finding))


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


def _owner(request: CleanupRequest, deciders: list[str]) -> str:
    """The owner tag: a mention only when it is a user id among the resolved deciders."""
    owner = (request.owner or "").strip()
    return tag_value(owner, resolved_user=owner if owner in deciders else None)


def _facts(request: CleanupRequest, deciders: list[str] | None = None) -> str:
    finding = Finding.from_json(request.finding)
    age = f" · {finding.age_days} days old" if finding.age_days is not None else ""
    warning = IRREVERSIBLE.get(request.action)
    return "\n".join(
        [
            f"*What will happen:* {what(request)}",
            *([f":warning: *{warning}*"] if warning else []),
            f"*Where:* {esc(request.region)} · account {esc(request.account)}",
            f"*Why:* {esc(finding.reason)}{age}",
            *_saves(request),
            f"*Team:* {tag_value(request.team)} · *Owner:* {_owner(request, deciders or [])} · "
            f"*Requested by:* {who(request.requested_by)}",
        ]
    )


#: What an approval of a destructive action does, for its confirm dialog ({days}: the
#: restore window). Actions not listed here (stop, type change, policies) are reversible.
CONSEQUENCES = {
    "snapshot-and-delete-volume": "Snapshot, then delete; restorable for {days}.",
    "release-address": "The address is released. This cannot be undone: the IP may go to "
    "someone else.",
    "delete-snapshot": "The snapshot is deleted. This cannot be undone.",
    "delete-load-balancer": "The load balancer is deleted. This cannot be undone.",
    "image-and-terminate-instance": "An AMI is taken, then the instance is terminated. The "
    "termination cannot be undone (a new instance can be launched from the AMI).",
    "rightsize-image-and-terminate-instance": "An AMI is taken, then the instance is "
    "terminated. The termination cannot be undone (a new instance can be launched from "
    "the AMI).",
}


def consequence(action: str, restore_days: int | None) -> str | None:
    """What approving `action` does that matters, or None for a reversible action."""
    text = CONSEQUENCES.get(action)
    if text is None:
        return None
    if restore_days == 0 and "{days}" in text:
        return "Snapshot, then delete. No restore window is set, so it cannot be undone here."
    days = f"{restore_days} days" if restore_days is not None else "the restore window"
    if restore_days == 1:
        days = "1 day"
    return text.format(days=days)


def destructive_confirm(
    *, what_text: str, action: str, saving: str | None, restore_days: int | None, verb: str
) -> dict[str, Any] | None:
    """The confirm dialog for a button that deletes, releases or terminates (else None)."""
    happens = consequence(action, restore_days)
    if happens is None:
        return None
    saves = f"\nSaves {saving}/month." if saving else ""
    return confirm_dialog(f"{verb}?", f"{what_text}.\n{happens}{saves}", confirm=verb)


def _button(action: str, text: str, request_id: int, style: str | None) -> dict[str, Any]:
    """A button about one request: its value is the request id (the one encoding)."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": str(action),
        "text": {"type": "plain_text", "text": text},
        "value": RequestButton(id=request_id).encode(),
    }
    if style:
        button["style"] = style
    return button


def decision_buttons(
    request: CleanupRequest,
    *,
    restore_days: int | None,
    approve_id: str = CleanupAction.APPROVE,
    reject_id: str = CleanupAction.REJECT,
) -> list[dict[str, Any]]:
    """Approve (confirmed first when it destroys something) and Reject, for `request`."""
    approve = _button(approve_id, "Approve", request.id, "primary")
    dialog = destructive_confirm(
        what_text=what(request),
        action=request.action,
        saving=None if request.kind == "budget" else format_money(request.monthly_saving),
        restore_days=restore_days,
        verb="Approve",
    )
    if dialog is not None:
        approve["confirm"] = dialog
    return [approve, _button(reject_id, "Reject", request.id, "danger")]


def status_line(request: CleanupRequest) -> str:
    """Where the request stands, in one line."""
    decided = who(request.decided_by)
    state = request.state
    if state == "pending":
        return f":hourglass: Pending approval; expires {when(request.expires_at)}."
    if state in ("approved", "executing"):
        return f":gear: Approved by {decided}; working on it…"
    if state == "executed":
        line = f":white_check_mark: Approved by {decided}; done: {esc(request.result)}"
        if undone(request):
            line += f"\n:leftwards_arrow_with_hook: {_undone_line(request)}"
        return line
    if state == "rejected":
        reason = f" Reason: _{esc(request.result)}_" if request.result else ""
        return f":no_entry_sign: Rejected by {decided}.{reason}"
    if state == "expired":
        return f":hourglass_flowing_sand: Expired on {when(request.finished_at)}; nothing done."
    return f":x: Approved by {decided}, but it did not happen: {esc(request.result)}"


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


def approval_message(
    request: CleanupRequest, *, deciders: list[str], restore_days: int | None = None
) -> dict[str, Any]:
    """The message in the owner's channel; buttons while pending, the outcome afterwards.
    Approving a delete, release or terminate asks for confirmation first."""
    title = f"Cleanup request #{request.id}: save {format_money(request.monthly_saving)}/month"
    if undone(request):
        title = f"Cleanup request #{request.id}: undone"
    if request.kind == "budget":
        title = f"Budget request #{request.id} for team {esc(request.team)}"
    blocks: Blocks = [
        header(title),
        section(_facts(request, deciders)),
        section(status_line(request)),
    ]
    if request.state == "pending":
        names = ", ".join(who(u) for u in deciders) or "nobody (set team approvers or an owner)"
        blocks.append(context(f"May approve: {names}."))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"cleanup-{request.id}",
                "elements": decision_buttons(request, restore_days=restore_days),
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
    return {"text": fallback(f"{title} ({request.state})"), "blocks": blocks}


def requester_message(request: CleanupRequest) -> dict[str, Any]:
    """The requester's copy (a DM from the bot), updated as the request moves."""
    where = f" in {mention_channel(request.channel)}" if request.channel else ""
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
    where = mention_channel(request.channel) if request.channel else "the team's channel"
    warning = IRREVERSIBLE.get(request.action)
    return {
        "text": fallback(f"Cleanup request #{request.id} is pending approval in {where}."),
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
            f"{code(request.resource_id)} already has cleanup request #{request.id} "
            f"({request.state})."
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


#: The reject modal's callback id and its one input (optional reason).
REJECT_VIEW = "cleanup_reject_reason"
REASON_BLOCK = "reason"
REASON_ACTION = "reason"
MAX_REASON = 500


def reject_metadata(request_id: int, *, from_home: bool = False) -> str:
    """The reject modal's private_metadata (`payloads.RejectForm`, decoded by the
    dispatcher): which request, and whether the Home tab asked."""
    return RejectForm(id=request_id, home=from_home).encode()


def reject_modal(request: CleanupRequest, *, from_home: bool = False) -> dict[str, Any]:
    """The modal Reject opens: what is being rejected and an optional reason."""
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": reject_metadata(request.id, from_home=from_home),
        "title": {"type": "plain_text", "text": f"Reject request #{request.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Reject cleanup request #{request.id}: {what(request)}?"),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reason (optional)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": MAX_REASON,
                    "placeholder": {"type": "plain_text", "text": "Why not, for the record"},
                },
            },
            context("The reason is kept in the audit log and shown on the request."),
        ],
    }


def reason_from(view: dict[str, Any]) -> str:
    """The typed reason of a submitted reject modal ("" when none), at most MAX_REASON."""
    node: Any = view
    for key in ("state", "values", REASON_BLOCK, REASON_ACTION, "value"):
        node = node.get(key) if isinstance(node, dict) else None
    return node.strip()[:MAX_REASON] if isinstance(node, str) else ""
