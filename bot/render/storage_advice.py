"""Block Kit for `/storage`: gp2 volumes to move to gp3 and S3 buckets without a
lifecycle policy, each with its monthly saving and a "Request change" button."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.advice.storage import StorageReport
from bot.advice.storage_buckets import GIB
from bot.findings.model import Finding
from bot.findings.prices import PriceTable, format_money
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

MAX_FAILURE_LINES = 5
CLASS_NAMES = {
    "standard": "Standard",
    "standard_ia": "Standard-IA",
    "glacier": "Glacier",
    "intelligent_tiering": "Int.-Tiering (frequent)",
    "intelligent_tiering_ia": "Int.-Tiering (infrequent)",
}


class StorageAction(StrEnum):
    """Action ids of the buttons in `/storage` answers."""

    REQUEST = "storage_request_change"


def request_value(finding: Finding) -> str:
    """The button's value: just enough to find the resource again."""
    return ResourceButton(
        k=finding.kind, r=finding.region, a=finding.account, id=finding.resource_id
    ).encode()


def gib(size_bytes: int) -> str:
    """`1,234.5 GiB`."""
    return f"{Decimal(size_bytes) / GIB:,.1f} GiB"


def sizes_line(sizes: dict[str, int]) -> str:
    """`Standard 500.0 GiB · Glacier 20.0 GiB` (classes with bytes only)."""
    parts = [f"{CLASS_NAMES.get(c, c)} {gib(b)}" for c, b in sorted(sizes.items()) if b]
    return " · ".join(parts) or "empty"


def _button(finding: Finding, text: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": StorageAction.REQUEST.value,
        "text": {"type": "plain_text", "text": text},
        "value": request_value(finding),
    }


def _item(
    finding: Finding, lines: list[str], button: str | None, open_request: int | None
) -> dict[str, Any]:
    block = section("\n".join(lines))
    block["block_id"] = truncate(f"{finding.kind}:{finding.resource_id}", 255)
    if finding.protected:
        block["text"]["text"] += "\n:lock: protected: reported, never changed"
    elif open_request is not None:
        block["text"]["text"] += f"\n:hourglass: request #{open_request} is open"
    elif button and finding.action is not None:
        block["accessory"] = _button(finding, button)
    return block


def volume_block(finding: Finding, open_request: int | None = None) -> dict[str, Any]:
    """One gp2 volume and its gp3 saving."""
    approx = "≈" if finding.approximate else ""
    where = esc(finding.details.get("attached_to") or finding.details.get("state") or "")
    lines = [
        f"*{format_money(finding.monthly_cost)}{approx}/month saved* · "
        f"{code(finding.resource_id)}" + (f" {code(finding.name)}" if finding.name else ""),
        f"{esc(finding.size)} ({where}) · {esc(finding.region)} · account {esc(finding.account)}",
        f"team {tag_value(finding.team)} · owner {tag_value(finding.owner)} · "
        f"{esc(finding.reason)}",
    ]
    return _item(finding, lines, "Request gp3", open_request)


def bucket_block(finding: Finding, open_request: int | None = None) -> dict[str, Any]:
    """One bucket, its size by class and the policy's estimated saving (or no data)."""
    sizes = finding.details.get("sizes")
    team = f"team {tag_value(finding.team)} · owner {tag_value(finding.owner)}"
    if sizes is None:
        lines = [
            f"*no data* · {code(finding.resource_id)} · {esc(finding.region)}",
            f"{team} · no lifecycle policy; CloudWatch has no size data for it, so no estimate",
        ]
    else:
        approx = "≈" if finding.approximate else ""
        lines = [
            f"*{format_money(finding.monthly_cost)}{approx}/month estimated* · "
            f"{code(finding.resource_id)} · {esc(finding.region)}",
            f"{sizes_line(sizes)} · now {format_money(Decimal(finding.details['current_monthly']))}"
            f"/month",
            team,
        ]
        tiering = Decimal(finding.details.get("tiering_saving") or 0)
        if tiering > 0:
            lines.append(
                f"or Intelligent-Tiering instead: saves about {format_money(tiering)}/month "
                "(before its per-object monitoring fee)"
            )
    return _item(finding, lines, "Request lifecycle policy", open_request)


def _group(
    title: str, findings: list[Finding], render: Any, open_requests: dict[str, int]
) -> Blocks:
    """A group's heading (its whole count and saving) and this page's findings of it."""
    if not findings:
        return []
    return [section(title)] + [render(f, open_requests.get(f.resource_id)) for f in findings]


def _small_volumes(small: list[Finding], min_saving: Decimal) -> Blocks:
    if not small:
        return []
    together = sum((f.monthly_cost for f in small), Decimal("0.00"))
    return [
        context(
            f"{len(small)} more gp2 volume(s) would each save less than "
            f"{format_money(min_saving)}/month: {format_money(together)}/month "
            "together, included in the total (`storage.min_monthly_saving`)."
        )
    ]


def storage_message(
    report: StorageReport,
    *,
    scope: ScanFilter,
    prices: PriceTable,
    policy: str,
    open_requests: dict[str, int] | None = None,
    min_saving: Decimal = Decimal("0"),
    page: Page | None = None,
) -> dict[str, Any]:
    """One page of the `/storage` answer (volumes, then buckets, each most saving first as
    the report orders them); gp2 volumes saving less than `min_saving` are only summed."""
    pending = open_requests or {}
    total = format_money(report.total)
    title = f"Storage savings: {total}/month ({describe_scope(scope)})"
    blocks: Blocks = [header(title)]
    note = f"EBS prices as of {prices.as_of} · S3 prices as of {prices.s3_as_of}"
    shown = [f for f in report.volumes if f.monthly_cost >= min_saving] + report.buckets
    approx = approx_note(shown)
    if approx:
        note += f" · {approx}"
    blocks.append(context(note))
    if report.failures:
        lines = [
            f"• {esc(f.where)} ({esc(f.kind)}): {esc(truncate(f.message, 200))}"
            for f in report.failures[:MAX_FAILURE_LINES]
        ]
        blocks.append(section(":warning: *Not scanned, so missing here:*\n" + "\n".join(lines)))
    if not report.volumes and not report.buckets:
        blocks.append(section(":tada: No gp2 volumes and no bucket without a lifecycle policy."))
        return {"text": fallback(title), "blocks": blocks}
    page = page or Page(command="/storage")
    listed = [f for f in report.volumes if f.monthly_cost >= min_saving]
    small = [f for f in report.volumes if f.monthly_cost < min_saving]
    ordered = listed + report.buckets
    shown = page.items(ordered)
    start = page.start(ordered)
    split = max(0, min(len(shown), len(listed) - start))
    volumes, buckets = shown[:split], shown[split:]
    blocks += _group(
        f"*gp2 volumes → gp3* — {len(report.volumes)} · {format_money(report.volume_saving)}/month",
        volumes,
        volume_block,
        pending,
    )
    if start == 0:
        blocks += _small_volumes(small, min_saving)
    blocks += _group(
        f"*S3 buckets without a lifecycle policy* — {len(report.buckets)} · "
        f"{format_money(report.bucket_saving)}/month estimated",
        buckets,
        bucket_block,
        pending,
    )
    if buckets:
        blocks.append(
            context(
                f"Proposed policy: {policy}. The saving is an estimate: CloudWatch gives each "
                "bucket's bytes per storage class, not its objects' ages, so it assumes the "
                "Standard bytes' age split configured in `storage.age_shares`; transition "
                "requests, minimum durations and retrievals are not counted."
            )
        )
    blocks += page.footer(shown, ordered)
    return {"text": fallback(title), "blocks": blocks[:MAX_BLOCKS]}


def storage_help(command: str, usage: str, summary: str, policy: str) -> dict[str, Any]:
    """`/storage help`."""
    return {
        "text": f"{command}: {summary}",
        "blocks": [
            section(f"*{command}* — {summary}\n`{usage}`"),
            context(
                f"Lifecycle policy proposed: {policy}. Anyone may request a change; the "
                "team's approvers or the owner decide, and the bot re-checks first."
            ),
        ],
    }
