"""Block Kit for `/rightsize`: idle and oversized instances with their CPU figures and
monthly saving, each with a "Stop" / "Terminate" / "Change to <type>" button, and the
running instances that have no (or too little) CPU data."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.advice.catalogue import InstanceCatalogue
from bot.advice.rightsizing import (
    ACTION_CHANGE,
    ACTION_STOP,
    ACTION_TERMINATE,
    KIND_IDLE,
    KIND_OVERSIZED,
    NoData,
    RightsizeReport,
)
from bot.findings.model import Finding
from bot.findings.prices import format_money
from bot.findings.scope import ScanFilter
from bot.payloads import RightsizeButton
from bot.render.common import (
    MAX_BLOCKS,
    Blocks,
    confirm_dialog,
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
MAX_NO_DATA_LINES = 15


class RightsizeAction(StrEnum):
    """Action ids of the buttons in `/rightsize` answers."""

    STOP = "rightsize_stop"
    TERMINATE = "rightsize_terminate"
    CHANGE = "rightsize_change"


#: Which button offers which registered action.
BUTTONS = {
    ACTION_STOP: RightsizeAction.STOP,
    ACTION_TERMINATE: RightsizeAction.TERMINATE,
    ACTION_CHANGE: RightsizeAction.CHANGE,
}
ACTION_OF = {button.value: name for name, button in BUTTONS.items()}


def request_value(finding: Finding) -> str:
    """The button's value: enough to find the instance again and notice a type change."""
    return RightsizeButton(
        k=finding.kind,
        r=finding.region,
        a=finding.account,
        id=finding.resource_id,
        t=finding.details.get("instance_type"),
    ).encode()


def button_text(finding: Finding) -> str:
    """`Stop`, `Terminate` or `Change to c5.large`."""
    if finding.action == ACTION_TERMINATE:
        return "Terminate"
    if finding.action == ACTION_CHANGE:
        return f"Change to {finding.details.get('proposed_type')}"
    return "Stop"


def _saving(finding: Finding) -> str:
    if not finding.details.get("saving_known", True):
        return "*no $ figure*"
    approx = "≈" if finding.approximate else ""
    return f"*{format_money(finding.monthly_cost)}{approx}/month saved*"


def _proposal(finding: Finding) -> str:
    current = esc(finding.details.get("instance_type") or finding.size)
    note = esc(finding.details.get("note") or "")
    if finding.kind == KIND_IDLE:
        verb = "terminate (AMI first)" if finding.action == ACTION_TERMINATE else "stop"
        line = f"{current} → {verb}"
        if finding.action != ACTION_TERMINATE:
            line += " (its EBS volumes keep costing)"
    elif finding.details.get("proposed_type"):
        line = f"{current} → {esc(finding.details['proposed_type'])}"
    else:
        line = f"{current} → no smaller size"
    if note:
        line += f" · {current} is {note}"
    price = finding.details.get("current_monthly")
    if price is not None:
        line += f" · now {format_money(Decimal(price))}/month"
        proposed = finding.details.get("proposed_monthly")
        if proposed is not None and finding.kind != KIND_IDLE:
            line += f", then {format_money(Decimal(proposed))}/month"
    return line


def finding_block(finding: Finding, open_request: int | None = None) -> dict[str, Any]:
    """One recommendation: saving, proposal, CPU figures, who owns it, and its button."""
    d = finding.details
    lines = [
        f"{_saving(finding)} · {code(finding.resource_id)}"
        + (f" {code(finding.name)}" if finding.name else ""),
        _proposal(finding),
        f"CPU avg {d.get('average', 0):.1f} % · p95 {d.get('p95', 0):.1f} % · "
        f"max {d.get('maximum', 0):.1f} % ({d.get('hours', 0)} h)",
        f"{esc(finding.region)} · account {esc(finding.account)} · "
        f"team {tag_value(finding.team)} · owner {tag_value(finding.owner)}",
    ]
    block = section("\n".join(lines))
    block["block_id"] = truncate(f"{finding.kind}:{finding.resource_id}", 255)
    if finding.protected:
        block["text"]["text"] += "\n:lock: protected: reported, never changed"
    elif d.get("auto_scaling_group"):
        block["text"]["text"] += (
            f"\n:information_source: launched by Auto Scaling group "
            f"{code(d['auto_scaling_group'])}: change the group's launch "
            "template or size instead"
        )
    elif open_request is not None:
        block["text"]["text"] += f"\n:hourglass: request #{open_request} is open"
    elif finding.action in BUTTONS:
        block["accessory"] = {
            "type": "button",
            "action_id": BUTTONS[finding.action].value,
            "text": {"type": "plain_text", "text": button_text(finding)},
            "value": request_value(finding),
        }
        if finding.action == ACTION_TERMINATE:
            block["accessory"]["confirm"] = terminate_confirm(finding)
    return block


def terminate_confirm(finding: Finding) -> dict[str, Any]:
    """The confirm dialog of the Terminate button: what it asks for, and that it is final."""
    return confirm_dialog(
        "Request termination?",
        f"Asks the owners to approve: an AMI of {code(finding.resource_id)} "
        f"({esc(finding.size)}), then terminate it. The termination cannot be undone.\n"
        f"Saves {format_money(finding.monthly_cost)}/month.",
        confirm="Request",
    )


def no_data_lines(entries: list[NoData]) -> str:
    """`• i-… (t3.micro) us-east-1 · team search — no data`, one line per instance, and
    one line for all those launched by Auto Scaling groups."""
    alone = [n for n in entries if not n.group]
    grouped = [n for n in entries if n.group]
    lines = [
        f"• {code(n.instance_id)}{' ' + code(n.name) if n.name else ''} "
        f"({esc(n.instance_type)}) {esc(n.region)} · team {tag_value(n.team)} — {esc(n.label)}"
        for n in alone[:MAX_NO_DATA_LINES]
    ]
    if len(alone) > MAX_NO_DATA_LINES:
        lines.append(f"…and {len(alone) - MAX_NO_DATA_LINES} more.")
    if grouped:
        groups = sorted({n.group or "" for n in grouped})
        names = ", ".join(esc(g) for g in groups[:5]) + (", …" if len(groups) > 5 else "")
        lines.append(
            f"• {len(grouped)} instances launched by Auto Scaling groups ({names}) "
            "— no data or not enough"
        )
    return "\n".join(lines)


def rightsize_message(
    report: RightsizeReport,
    *,
    scope: ScanFilter,
    catalogue: InstanceCatalogue,
    lookback_days: int,
    open_requests: dict[str, int] | None = None,
    page: Page | None = None,
) -> dict[str, Any]:
    """One page of the `/rightsize` answer (the report's order, most saving first)."""
    pending = open_requests or {}
    title = f"Rightsizing: {format_money(report.total)}/month ({describe_scope(scope)})"
    blocks: Blocks = [header(title)]
    note = (
        f"{report.instances} running instances · CPU over the last {lookback_days} days "
        f"(hourly averages) · on-demand prices as of {catalogue.as_of}"
    )
    approx = approx_note(report.findings, table="catalogue")
    if approx:
        note += f" · {approx}"
    if any(f.kind == KIND_OVERSIZED for f in report.findings):
        note += (
            " · CPU only: check memory before a downsize (CloudWatch has no memory "
            "metric without its agent)"
        )
    blocks.append(context(note))
    if report.failures:
        lines = [
            f"• {esc(f.where)}: {esc(truncate(f.message, 200))}"
            for f in report.failures[:MAX_FAILURE_LINES]
        ]
        blocks.append(section(":warning: *Not scanned, so missing here:*\n" + "\n".join(lines)))
    if not report.findings:
        blocks.append(section(":tada: No idle or oversized running instances."))
    page = page or Page(command="/rightsize")
    shown = page.items(report.findings)
    blocks += [finding_block(f, pending.get(f.resource_id)) for f in shown]
    blocks += page.footer(shown, report.findings)
    if report.no_data:
        blocks.append(section("*No CPU data, so no advice:*\n" + no_data_lines(report.no_data)))
    return {"text": fallback(title), "blocks": blocks[:MAX_BLOCKS]}


def rightsize_help(
    command: str,
    usage: str,
    summary: str,
    *,
    idle_avg: Decimal,
    idle_p95: Decimal,
    downsize_avg: Decimal,
    days: int,
) -> dict[str, Any]:
    """`/rightsize help`."""
    return {
        "text": f"{command}: {summary}",
        "blocks": [
            section(f"*{command}* — {summary}\n`{usage}`"),
            context(
                f"Over {days} days: CPU average under {idle_avg} % and p95 under "
                f"{idle_p95} % → stop (or terminate, where the team allows it); average "
                f"under {downsize_avg} % → the next smaller size. Anyone may request a "
                "change; the team's approvers or the owner decide, and the bot re-checks "
                "first."
            ),
        ],
    }
