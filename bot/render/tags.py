"""Block Kit for `/tags`: compliance overall and per team, untagged spend, and the resources
missing tags (capped, with an "Ask owner to fix" button where an owner is known).

Stays within Slack's limits: at most MAX_LISTED resource blocks a page, then the listing
pipeline's "Show more" (the next page starts after the last resources shown) and its
"Download CSV" (every one, with `tags_csv`'s columns).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from enum import StrEnum
from typing import Any

from bot.findings.scope import ScanFailure
from bot.payloads import TagsAskButton
from bot.render.budgets import money, pct
from bot.render.common import MAX_BLOCKS, Blocks, context, fallback, header, section, truncate
from bot.render.listing import Page, plain
from bot.render.text import code, esc, mention_user, tag_value
from bot.tags.compliance import NO_TEAM, Checked, TagReport

COMMAND = "/tags"
MAX_LISTED = 25
MAX_FAILURE_LINES = 10
MAX_TEAM_LINES = 30

LABELS = {
    "ec2-instance": "EC2 instance",
    "ebs-volume": "EBS volume",
    "ebs-snapshot": "EBS snapshot",
    "elastic-ip": "Elastic IP",
    "load-balancer": "Load balancer",
    "s3-bucket": "S3 bucket",
}


class TagsAction(StrEnum):
    """Action ids of the buttons in `/tags` answers (Show more and Download CSV are the
    listing pipeline's now; the two old ids still answer buttons posted before)."""

    ASK_OWNER = "tags_ask_owner"
    SHOW_MORE = "tags_show_more"
    CSV = "tags_csv"


CSV_COLUMNS = ("id", "type", "account", "region", "team", "owner", "missing", "age_days")


def team_name(team: str) -> str:
    """`*payments*`, or `_no team_`."""
    return f"*{esc(team)}*" if team != NO_TEAM else "_no team_"


def tags_page(page: Page | None = None) -> Page:
    """The page of `/tags` to draw (the first one without `page`), MAX_LISTED a page."""
    if page is None:
        return Page(command=COMMAND, size=MAX_LISTED)
    return replace(page, size=MAX_LISTED)


def listed(report: TagReport, page: Page | None = None) -> list[Checked]:
    """The non-compliant resources of this page (the first page without `page`)."""
    return tags_page(page).items(report.missing)


def tags_csv(items: list[Checked]) -> str:
    """One row per resource missing tags, plain cells: id, type, account, region, team,
    owner, the missing tags (space separated) and the age in days (blank: not known, the
    tag listers do not read creation times)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        r = item.resource
        writer.writerow(
            [
                plain(r.resource_id),
                r.resource_type,
                plain(r.account),
                plain(r.region),
                plain(item.team),
                plain(item.owner or ""),
                plain(" ".join(item.missing)),
                "",
            ]
        )
    return out.getvalue()


def ask_value(item: Checked, owner_id: str) -> str:
    """The "Ask owner to fix" button's value: the resource, what it misses, whom to ask."""
    r = item.resource
    return TagsAskButton(
        id=r.resource_id,
        n=r.name,
        t=r.resource_type,
        r=r.region,
        a=r.account,
        m=list(item.missing),
        o=owner_id,
    ).encode()


def _resource_block(item: Checked, owner_id: str | None) -> dict[str, Any]:
    r = item.resource
    label = LABELS.get(r.resource_type, r.resource_type)
    name = f" {code(r.name)}" if r.name and r.name != r.resource_id else ""
    owner = tag_value(item.owner, resolved_user=owner_id)
    lines = [
        f"*{esc(label)}* {code(truncate(r.resource_id, 200))}{name}",
        f"{esc(r.region)} · account {esc(r.account)} · team {team_name(item.team)} · owner {owner}",
        "missing: " + ", ".join(code(k) for k in item.missing),
    ]
    block = section("\n".join(lines))
    block["block_id"] = truncate(f"{r.region}/{r.resource_id}", 255)
    if owner_id:
        block["accessory"] = {
            "type": "button",
            "action_id": TagsAction.ASK_OWNER.value,
            "text": {"type": "plain_text", "text": "Ask owner to fix"},
            "value": ask_value(item, owner_id),
        }
    return block


def _failures(failures: list[ScanFailure]) -> str:
    lines = [
        f"{esc(f.where)} {esc(f.kind)}: {esc(f.message)}" for f in failures[:MAX_FAILURE_LINES]
    ]
    more = len(failures) - MAX_FAILURE_LINES
    if more > 0:
        lines.append(f"and {more} more")
    return (
        ":warning: Not everything could be read, so the figures leave out: "
        + "; ".join(lines)
        + "."
    )


def tags_message(
    report: TagReport, *, owners: dict[str, str], page: Page | None = None
) -> dict[str, Any]:
    """A page of the `/tags` answer (the first without `page`). `owners` maps an owner tag
    value to a Slack user id."""
    scope = f" for team {esc(report.team)}" if report.team else ""
    title = f"Tagging compliance{scope}"
    required = ", ".join(code(k) for k in report.required) or "none configured"
    total = len(report.checked)
    blocks: Blocks = [header(title)]
    if total:
        summary = (
            f"*{pct(report.pct)}* of {total} resource(s) carry every required tag "
            f"({required}); {total - report.compliant} do not."
        )
    else:
        summary = f"No resources found{scope}. Required tags: {required}."
    when = report.spend_period or "this month"
    spend = (
        f"*Untagged spend {when}:* {money(report.untagged_spend, report.currency)} "
        "(no team tag, from Cost Explorer)"
        if report.untagged_spend is not None
        else f"*Untagged spend {when}:* unavailable"
    )
    blocks.append(section(f"{summary}\n{spend}"))
    teams = report.teams
    if teams and not report.team:
        lines = [
            f"• {team_name(t.team)}: {pct(t.pct)} ({t.compliant} of {t.total})"
            for t in teams[:MAX_TEAM_LINES]
        ]
        blocks.append(section("*By team:*\n" + "\n".join(lines)))
    missing = report.missing
    if missing:
        counts = ", ".join(f"{code(k)} {n}" for k, n in report.missing_counts.items() if n)
        blocks.append(section(f"*Missing tags* ({len(missing)} resource(s)): {counts}"))
    shown = listed(report, page)
    for item in shown:
        blocks.append(_resource_block(item, owners.get(item.owner or "")))
    blocks += tags_page(page).footer(shown, missing)
    notes = [esc(n) for n in (report.spend_note,) if n]
    if report.failures:
        notes.append(_failures(report.failures))
    if notes:
        blocks.append(context(" ".join(notes)))
    return {"text": fallback(f"{title}: {pct(report.pct)}"), "blocks": blocks[:MAX_BLOCKS]}


def owner_request_message(value: dict[str, Any], *, asked_by: str) -> dict[str, Any]:
    """The message to a resource's owner asking to add the missing tags."""
    label = LABELS.get(str(value.get("t")), str(value.get("t")))
    name = f" ({code(value['n'])})" if value.get("n") and value["n"] != value["id"] else ""
    missing = ", ".join(code(k) for k in value.get("m", []))
    text = (
        f"{mention_user(asked_by)} asks you to tag {esc(label)} {code(value['id'])}{name} "
        f"in {esc(value['r'])} (account {esc(value['a'])}): it is missing {missing}."
    )
    return {
        "text": fallback(text),
        "blocks": [
            section(f":label: {text}"),
            context(
                "Untagged resources cannot be attributed to a team's budget. "
                "Run `/tags` to see your team's compliance."
            ),
        ],
    }


def owner_asked(value: dict[str, Any]) -> dict[str, Any]:
    """Ephemeral confirmation to whoever clicked "Ask owner to fix"."""
    missing = ", ".join(code(k) for k in value.get("m", []))
    text = f"Asked {mention_user(value['o'])} to add {missing} to {code(value['id'])}."
    return {
        "text": fallback(text),
        "blocks": [section(f":white_check_mark: {text}")],
        "response_type": "ephemeral",
        "replace_original": False,
    }


def tags_help(command: str, usage: str, summary: str, required: list[str]) -> dict[str, Any]:
    """`/tags help`."""
    text = (
        f"*{command}* — {summary}\n`{usage}`\nRequired tags: "
        + (", ".join(f"`{k}`" for k in required) or "none")
        + "."
    )
    return {"text": f"{command} help", "blocks": [section(text)]}
