"""Block Kit for `/compute`: spot candidates, ECS clusters with too many nodes and Fargate
services cheaper on EC2, each with its monthly saving; a "Request …" button where the change
can be made in place, and what stays on-demand (and why)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.advice.compute import ComputeReport
from bot.advice.compute_ecs import KIND_ECS, KIND_FARGATE
from bot.advice.compute_spot import KIND_ASG, KIND_INSTANCE
from bot.advice.precedence import total_saving
from bot.config_advice import ComputeConfig
from bot.findings.model import Finding
from bot.findings.prices import format_money
from bot.findings.scope import ScanFilter
from bot.payloads import ResourceButton
from bot.render.common import (
    MAX_BLOCKS,
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

MAX_LINES = 8
MAX_FAILURE_LINES = 5
BUTTONS = {KIND_ASG: "Request spot mix", KIND_ECS: "Request fewer nodes"}


class ComputeAction(StrEnum):
    """Action ids of the buttons in `/compute` answers."""

    REQUEST = "compute_request_change"


def request_value(finding: Finding) -> str:
    """The button's value: just enough to find the resource again."""
    return ResourceButton(
        k=finding.kind, r=finding.region, a=finding.account, id=finding.resource_id
    ).encode()


def finding_block(finding: Finding, open_request: int | None = None) -> dict[str, Any]:
    """One recommendation: saving, resource, owner, why; a button when it can be applied."""
    approx = "≈" if finding.approximate else ""
    label = finding.name if finding.name and finding.name != finding.resource_id else ""
    ident = finding.resource_id if finding.kind != KIND_FARGATE else label
    saved = "saved" if "superseded_by" not in finding.details else "if done instead"
    lines = [
        f"*{format_money(finding.monthly_cost)}{approx}/month {saved}* · {code(ident)}"
        + (f" {esc(label)}" if label and finding.kind != KIND_FARGATE else ""),
        f"{esc(finding.size)} · {esc(finding.region)} · team {tag_value(finding.team)} · "
        f"owner {tag_value(finding.owner)}",
        esc(finding.reason),
    ]
    block = section("\n".join(lines))
    block["block_id"] = truncate(f"{finding.kind}:{finding.resource_id}", 255)
    button = BUTTONS.get(finding.kind)
    if finding.protected:
        block["text"]["text"] += "\n:lock: protected: reported, never changed"
    elif open_request is not None:
        block["text"]["text"] += f"\n:hourglass: request #{open_request} is open"
    elif button and finding.action:
        block["accessory"] = {
            "type": "button",
            "action_id": ComputeAction.REQUEST.value,
            "text": {"type": "plain_text", "text": button},
            "value": request_value(finding),
        }
    return block


def _group(
    title: str, findings: list[Finding], shown: list[Finding], pending: dict[str, int]
) -> Blocks:
    """A group's heading (its whole count and saving) and this page's findings of it."""
    if not shown:
        return []
    total = total_saving(findings)  # alternatives and protected ones are not savings
    blocks: Blocks = [section(f"*{title}* — {len(findings)} · {format_money(total)}/month")]
    return blocks + [finding_block(f, pending.get(f.resource_id)) for f in shown]


def _lines(title: str, lines: list[str]) -> dict[str, Any]:
    more = f"\n…and {len(lines) - MAX_LINES} more" if len(lines) > MAX_LINES else ""
    return section(f"{title}\n" + "\n".join(f"• {line}" for line in lines[:MAX_LINES]) + more)


def kept_lines(kept: list[Finding], names: int = 4) -> list[str]:
    """`api: stays on-demand — `i-1` (c5.xlarge, us-east-1), … and 2 more`, per workload."""
    by_workload: dict[str, list[Finding]] = {}
    for finding in kept:
        by_workload.setdefault(str(finding.details.get("workload", "?")), []).append(finding)
    lines = []
    for workload, findings in sorted(by_workload.items()):
        shown = ", ".join(
            f"{code(f.resource_id)} ({esc(f.size)}, {esc(f.region)})" for f in findings[:names]
        )
        more = f" and {len(findings) - names} more" if len(findings) > names else ""
        lines.append(f"{esc(workload)}: stays on-demand — {shown}{more}")
    return lines


def compute_message(
    report: ComputeReport,
    *,
    scope: ScanFilter,
    config: ComputeConfig,
    as_of: str,
    open_requests: dict[str, int] | None = None,
    page: Page | None = None,
) -> dict[str, Any]:
    """One page of the `/compute` answer (groups in a fixed order, each in the report's)."""
    pending = open_requests or {}
    title = f"Compute savings: {format_money(report.total)}/month ({describe_scope(scope)})"
    approx = approx_note(report.findings, table="catalogue")
    blocks: Blocks = [
        header(title),
        context(
            f"On-demand prices as of {as_of}; spot assumed {config.spot_saving_pct:g} % cheaper. "
            + (f"{approx}. " if approx else "")
            + "Stand-alone instances and Fargate services are "
            "advice only (a relaunch or deploy change); the buttons go through approval."
        ),
    ]
    if report.failures:
        lines = [
            f"• {esc(f.where)} ({esc(f.kind)}): {esc(truncate(f.message, 200))}"
            for f in report.failures[:MAX_FAILURE_LINES]
        ]
        blocks.append(section(":warning: *Not scanned, so missing here:*\n" + "\n".join(lines)))
    if not report.findings:
        blocks.append(section(":tada: No compute savings found."))
    tail: Blocks = []
    if report.untagged_count:
        noun = "instance or ASG has" if report.untagged_count == 1 else "instances and ASGs have"
        tail.append(
            context(
                f"{report.untagged_count} {noun} no `{config.workload_tag}` tag, "
                "so no spot advice for them: tag them to get it."
            )
        )
    if report.on_demand:
        tail.append(
            _lines(
                f"*Kept on-demand* — {len(report.on_demand)}: stateful or "
                "latency-sensitive work stays on-demand; only "
                f"{', '.join(config.spot_workloads + config.mixed_workloads)} "
                "workloads move to spot",
                kept_lines(report.on_demand),
            )
        )
    if report.no_data:
        tail.append(
            _lines(
                "*ECS clusters without data*",
                [
                    f"{code(f.resource_id)} ({esc(f.size)}, {esc(f.region)}): "
                    f"no data — {esc(f.reason)}"
                    for f in report.no_data
                ],
            )
        )
    if report.notes:
        tail.append(_lines("*Fargate services compared, kept*", [esc(n) for n in report.notes]))
    groups = [
        ("Auto Scaling groups → spot", [KIND_ASG]),
        ("ECS clusters with more nodes than they reserve", [KIND_ECS]),
        ("Stand-alone instances → spot (relaunch; advice only)", [KIND_INSTANCE]),
        ("Fargate services cheaper on EC2 (advice only)", [KIND_FARGATE]),
    ]
    page = page or Page(command="/compute")
    grouped = [(name, report.of_kind(*kinds)) for name, kinds in groups]
    ordered = [(name, f) for name, findings in grouped for f in findings]
    shown = page.items(ordered)
    for name, findings in grouped:
        on_page = [f for group, f in shown if group == name]
        blocks += _group(name, findings, on_page, pending)
    blocks += page.footer(shown, ordered)
    blocks += tail
    return {"text": fallback(title), "blocks": blocks[:MAX_BLOCKS]}


def compute_help(command: str, usage: str, summary: str, config: ComputeConfig) -> dict[str, Any]:
    """`/compute help`."""
    spot = ", ".join(config.spot_workloads)
    mixed = ", ".join(config.mixed_workloads)
    return {
        "text": f"{command}: {summary}",
        "blocks": [
            section(f"*{command}* — {summary}\n`{usage}`"),
            context(
                f"`{config.workload_tag}` tag: {spot} → spot; {mixed} → "
                f"{config.mixed_on_demand_pct:g} % on-demand, rest spot; anything else "
                f"stays on-demand. ECS clusters reserving under "
                f"{config.ecs_reservation_pct:g} % → fewer nodes (at least "
                f"{config.ecs_min_nodes}). Fargate services over "
                f"{format_money(config.fargate_min_monthly)}/month whose EC2 equivalent "
                f"costs under {config.fargate_ec2_ratio_pct:g} % → EC2."
            ),
        ],
    }
