"""Block Kit for `/orphans`: total waste, findings grouped by kind, "Request cleanup" buttons.

Stays within Slack's limits (50 blocks, 3,000 characters a section) by showing a page of
findings and a "Show more" button.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.findings.model import Finding
from bot.findings.prices import PriceTable, format_money
from bot.findings.scope import ScanFilter, ScanResult
from bot.orphans.model import load_kinds
from bot.orphans.waste import open_waste
from bot.payloads import ResourceButton, ShowMoreButton
from bot.render.common import MAX_BLOCKS, Blocks, context, fallback, header, section, truncate
from bot.render.estimates import approx_note
from bot.render.listing import MAX_KEY, PAGE_KEYS, Page, identity
from bot.render.text import code, esc, mention_user, tag_value

PAGE_SIZE = 20
MAX_FAILURE_LINES = 10


class OrphanAction(StrEnum):
    """Action ids of the buttons in `/orphans` answers."""

    REQUEST = "orphans_request_cleanup"
    SHOW_MORE = "orphans_show_more"


def who(value: str | None) -> str:
    """A Slack mention for a user id the bot got from Slack (a clicker, a decider), the
    escaped text otherwise, or "—". Values from tags go through `tag_value` instead."""
    return mention_user(value)


def describe_scope(scope: ScanFilter) -> str:
    """`team payments · us-east-1 · volume`, or `all teams`."""
    parts = [f"team {esc(scope.team)}" if scope.team else "all teams"]
    parts += [esc(p) for p in (scope.region, scope.kind) if p]
    return " · ".join(parts)


def request_value(finding: Finding) -> str:
    """The "Request cleanup" button's value: just enough to find the resource again."""
    return ResourceButton(
        k=finding.kind, r=finding.region, a=finding.account, id=finding.resource_id
    ).encode()


def show_more_value(
    scope: ScanFilter, offset: int, after: list[str] | None = None, since: int | None = None
) -> str:
    """The "Show more" button's value: the scope, how many were shown before, the
    identities of the last findings shown (where the next page starts, see `Page`) and
    the newest scan the first page read (`since`)."""
    keys = [k for k in after or [] if len(k) <= MAX_KEY][:PAGE_KEYS]
    while True:
        try:
            value = ShowMoreButton(**asdict(scope), offset=offset, k=keys or None, t=since)
            return value.encode()
        except ValueError:
            if not keys:
                raise
            keys = keys[:-1]


def _finding_block(finding: Finding, open_request: int | None) -> dict[str, Any]:
    cost = format_money(finding.monthly_cost) + ("≈" if finding.approximate else "")
    label = f"{code(finding.name)} " if finding.name and finding.name != finding.resource_id else ""
    age = f" · {finding.age_days} days old" if finding.age_days is not None else ""
    lines = [
        f"*{cost}/month* · {label}{code(finding.resource_id)}",
        f"{esc(finding.size)} · {esc(finding.region)} · account {esc(finding.account)}{age}",
        f"team {tag_value(finding.team)} · owner {tag_value(finding.owner)} · "
        f"{esc(finding.reason)}",
    ]
    block = section("\n".join(lines))
    block["block_id"] = truncate(finding.resource_id, 255)
    if finding.protected:
        block["text"]["text"] += "\n:lock: protected: reported, never cleaned up"
    elif open_request is not None:
        block["text"]["text"] += f"\n:hourglass: cleanup request #{open_request} is open"
    else:
        block["accessory"] = {
            "type": "button",
            "action_id": OrphanAction.REQUEST.value,
            "text": {"type": "plain_text", "text": "Request cleanup"},
            "value": request_value(finding),
        }
    return block


def _failures(result: ScanResult) -> Blocks:
    if not result.failures:
        return []
    lines = [
        f"• {esc(f.where)} ({esc(f.kind)}): {esc(truncate(f.message, 200))}"
        for f in result.failures[:MAX_FAILURE_LINES]
    ]
    more = len(result.failures) - MAX_FAILURE_LINES
    if more > 0:
        lines.append(f"• …and {more} more")
    return [section(":warning: *Not scanned, so missing from this report:*\n" + "\n".join(lines))]


def orphans_message(
    result: ScanResult,
    *,
    scope: ScanFilter,
    prices: PriceTable,
    offset: int = 0,
    page_size: int = PAGE_SIZE,
    open_requests: dict[str, int] | None = None,
    after: tuple[str, ...] = (),
    since: int | None = None,
) -> dict[str, Any]:
    """The `/orphans` answer: one page of findings, grouped by kind, most expensive first
    (`since`: the newest scan the first page read, carried by Show more)."""
    open_requests = open_requests or {}
    waste = open_waste(result.findings)
    total = format_money(waste.amount)
    blocks: Blocks = [header(f"Waste: {total}/month ({describe_scope(scope)})")]
    count = len(result.findings)
    approx = approx_note(result.findings)
    note = (
        f"{waste.count} finding{'s' if waste.count != 1 else ''}"
        + (f" + {waste.protected_note()}" if waste.protected_count else "")
        + f" in {result.targets} account/region target(s) · prices as of {prices.as_of}"
    )
    if approx:
        note += f" · {approx}"
    blocks.append(context(note))
    blocks += _failures(result)
    if not result.findings:
        blocks.append(section(":tada: No paid-for waste found here."))
        return {"text": fallback(f"No waste found ({describe_scope(scope)})"), "blocks": blocks}
    kinds = load_kinds()
    groups: dict[str, list[Finding]] = {}
    for finding in result.findings:
        groups.setdefault(finding.kind, []).append(finding)
    for items in groups.values():
        items.sort(key=lambda f: (-f.monthly_cost, f.resource_id))
    ordered = sorted(groups.items(), key=lambda kv: (-sum(f.monthly_cost for f in kv[1]), kv[0]))
    flat = [(kind, f) for kind, items in ordered for f in items]
    offset = Page(command="/orphans", offset=offset, after=after).start(flat)
    page = flat[offset : offset + page_size]
    budget = MAX_BLOCKS - len(blocks) - 2  # keep room for the "show more" line
    shown_kind = None
    shown = 0
    for kind_name, finding in page:
        if kind_name != shown_kind:
            if budget < 2:
                break
            items = groups[kind_name]
            subtotal = sum((f.monthly_cost for f in items), Decimal(0))
            title = kinds[kind_name].title if kind_name in kinds else kind_name
            blocks.append(section(f"*{title}* — {len(items)} · {format_money(subtotal)}/month"))
            budget -= 1
            shown_kind = kind_name
        if budget < 1:
            break
        blocks.append(_finding_block(finding, open_requests.get(finding.resource_id)))
        budget -= 1
        shown += 1
    end = offset + shown
    if end < count:
        blocks.append(context(f"Showing {offset + 1} to {end} of {count}."))
        blocks.append(
            {
                "type": "actions",
                "block_id": "orphans-more",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OrphanAction.SHOW_MORE.value,
                        "text": {"type": "plain_text", "text": f"Show more ({count - end} left)"},
                        "value": show_more_value(
                            scope,
                            end,
                            [identity(x) for x in reversed(page[:shown][-PAGE_KEYS:])],
                            since,
                        ),
                    }
                ],
            }
        )
    return {"text": fallback(f"Waste: {total}/month ({describe_scope(scope)})"), "blocks": blocks}


def orphans_help(command: str, usage: str, summary: str, kinds: list[str]) -> dict[str, Any]:
    """`/orphans help`."""
    names = ", ".join(f"`{k}`" for k in kinds)
    return {
        "text": f"{command}: {summary}",
        "blocks": [
            section(f"*{command}* — {summary}\n`{usage}`\nKinds: {names}."),
            context(
                "Anyone may request a cleanup; the team's approvers or the resource's "
                "owner decide, and the bot re-checks the resource before acting."
            ),
        ],
    }
