"""Block Kit for `/savings`: every recommendation in one list, largest monthly saving
first, with the total; each line keeps the button of the command it came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.advice.savings import Recommendation, SavingsReport
from bot.findings.model import Finding
from bot.findings.prices import format_money
from bot.findings.scope import ScanFilter
from bot.render import compute as compute_render
from bot.render import orphans as orphans_render
from bot.render import rightsize as rightsize_render
from bot.render import storage_advice as storage_render
from bot.render.common import (
    Blocks,
    context,
    fallback,
    header,
    section,
    truncate,
)
from bot.render.estimates import approx_note
from bot.render.listing import Page
from bot.render.orphans import describe_scope
from bot.render.text import code, esc, tag_value

MAX_FAILURE_LINES = 5
#: Lines listed; the rest are summed in one line (Slack allows 50 blocks).

ButtonFactory = Callable[[Finding], dict[str, Any] | None]


#: The words `/storage` uses on its buttons, per kind.
STORAGE_BUTTONS = {"gp2-volume": "Request gp3", "s3-lifecycle": "Request lifecycle policy"}
#: What each kind of line is, in its command's words (singular).
LABELS = {
    "volume": "unattached EBS volume",
    "address": "unassociated Elastic IP",
    "load-balancer": "load balancer with nothing behind it",
    "snapshot": "old snapshot of a deleted volume",
    "stopped-instance": "instance stopped for a long time",
    "idle-instance": "idle instance to stop",
    "oversized-instance": "oversized instance to downsize",
    "gp2-volume": "gp2 volume to move to gp3",
    "s3-lifecycle": "S3 bucket without a lifecycle policy",
    "spot-asg": "Auto Scaling group to move to spot",
    "spot-instance": "instance to relaunch on spot",
    "ecs-overprovisioned": "ECS cluster with more nodes than it reserves",
    "fargate-to-ec2": "Fargate service cheaper on EC2",
}


def kind_label(kind: str) -> str:
    """What a line is, as the command it comes from says it."""
    return LABELS.get(kind, kind.replace("-", " "))


def _button(
    action_id: str, text: str | Callable[[Finding], str], value: Callable[[Finding], str]
) -> ButtonFactory:
    def make(finding: Finding) -> dict[str, Any] | None:
        if finding.action is None:
            return None
        label = text if isinstance(text, str) else text(finding)
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "value": value(finding),
        }

    return make


def _rightsize_button(finding: Finding) -> dict[str, Any] | None:
    button = rightsize_render.BUTTONS.get(finding.action or "")
    if button is None:
        return None
    return {
        "type": "button",
        "action_id": button.value,
        "text": {"type": "plain_text", "text": rightsize_render.button_text(finding)},
        "value": rightsize_render.request_value(finding),
    }


#: The button each source's answer offers, reused here so a click behaves the same.
BUTTONS: dict[str, ButtonFactory] = {
    "orphans": _button(
        orphans_render.OrphanAction.REQUEST.value, "Request cleanup", orphans_render.request_value
    ),
    "storage": _button(
        storage_render.StorageAction.REQUEST.value,
        lambda f: STORAGE_BUTTONS.get(f.kind, "Request change"),
        storage_render.request_value,
    ),
    "compute": _button(
        compute_render.ComputeAction.REQUEST.value,
        lambda f: compute_render.BUTTONS.get(f.kind, "Request change"),
        compute_render.request_value,
    ),
    "rightsizing": _rightsize_button,
}


def _item(item: Recommendation, open_request: int | None) -> dict[str, Any]:
    finding = item.finding
    approx = "≈" if finding.approximate else ""
    name = f" {code(finding.name)}" if finding.name and finding.name != finding.resource_id else ""
    lines = [
        f"*{format_money(item.saving)}{approx}/month* · {code(finding.resource_id)}{name}",
        f"{esc(kind_label(finding.kind))} · {esc(finding.reason)}",
        f"team {tag_value(finding.team)} · owner {tag_value(finding.owner)} · "
        f"{esc(finding.region)} · from {code(item.command)}",
    ]
    if item.alternatives:
        lines.append(
            "alternative: "
            + "; ".join(
                f"{kind_label(a.finding.kind)} {format_money(a.saving)}/month (`{a.command}`)"
                for a in item.alternatives
            )
        )
    block = section("\n".join(lines))
    block["block_id"] = truncate(f"{item.source}:{finding.resource_id}", 255)
    if open_request is not None:
        block["text"]["text"] += f"\n:hourglass: request #{open_request} is open"
        return block
    factory = BUTTONS.get(item.source)
    button = factory(finding) if factory else None
    if button is not None:
        block["accessory"] = button
    return block


def _failures(report: SavingsReport) -> Blocks:
    if not report.failures:
        return []
    lines = [
        f"• {esc(f.where)} ({esc(f.kind)}): {esc(truncate(f.message, 200))}"
        for f in report.failures[:MAX_FAILURE_LINES]
    ]
    if len(report.failures) > MAX_FAILURE_LINES:
        lines.append(f"• …and {len(report.failures) - MAX_FAILURE_LINES} more")
    return [section(":warning: *Not looked at, so missing from this list:*\n" + "\n".join(lines))]


def savings_message(
    report: SavingsReport,
    *,
    scope: ScanFilter,
    open_requests: dict[str, int] | None = None,
    page: Page | None = None,
) -> dict[str, Any]:
    """The `/savings` answer."""
    open_requests = open_requests or {}
    total = format_money(report.total)
    title = f"Savings: {total}/month ({describe_scope(scope)})"
    blocks: Blocks = [header(title)]
    count = len(report.items)
    parts = [f"{count} recommendation{'s' if count != 1 else ''}"]
    parts += [f"{name} {format_money(amount)}" for name, amount in report.by_source().items()]
    blocks.append(context(" · ".join(parts)))
    blocks += _failures(report)
    if not report.items:
        blocks.append(section(":tada: Nothing to save here right now."))
        return {"text": fallback(f"No savings found ({describe_scope(scope)})"), "blocks": blocks}
    page = page or Page(command="/savings")
    shown = page.items(report.items)
    blocks += [_item(i, open_requests.get(i.finding.resource_id)) for i in shown]
    notes = []
    if report.overlapping:
        notes.append(
            f"{report.overlapping} overlapping recommendation(s) for the same resource "
            "counted once (waste first, then the larger saving), the other as an alternative."
        )
    if report.protected:
        notes.append(f"{report.protected} protected resource(s) (`finops:protect`) left out.")
    approx = approx_note(i.finding for i in shown)
    notes.append(f"Total {total}/month." + (f" {approx}." if approx else ""))
    blocks.append(context(" ".join(notes)))
    blocks += page.footer(shown, report.items)
    return {"text": fallback(title), "blocks": blocks}


def savings_help(command: str, usage: str, summary: str, sources: list[str]) -> dict[str, Any]:
    """`/savings help`."""
    blocks: Blocks = [
        header(f"{command}: {summary}"),
        section(
            f"`{usage}`\n\nCollects from: {', '.join(sources)}. Each line keeps its "
            "own button, so a request goes through the same approval as from its "
            "command. A resource several commands advise on counts once."
        ),
    ]
    return {"text": f"{command} help", "blocks": blocks}
