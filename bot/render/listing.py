"""What every listing shows about the inventory it was read from: "as of" (refreshing…,
scanning…), a Refresh and a Download CSV button; and the CSV file itself (plain cells)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.findings.model import Finding
from bot.payloads import ListingButton
from bot.render.common import MAX_BLOCKS, context

#: Longest command text carried in a button value (Slack allows 2,000 characters).
MAX_QUERY = 500
CSV_COLUMNS = (
    "id",
    "kind",
    "account",
    "region",
    "team",
    "owner",
    "monthly",
    "recommendation",
    "age_days",
    "as_of",
)


class ListingAction(StrEnum):
    """Buttons every listing carries."""

    REFRESH = "listing_refresh"
    CSV = "listing_csv"


def listing_value(command: str, text: str) -> str:
    """The value of a listing's buttons: which command, with which arguments."""
    return ListingButton(c=command, q=text[:MAX_QUERY]).encode()


def read_listing_value(value: str) -> tuple[str, str]:
    """(command, text) from a button value; ValueError when it is not one of ours."""
    data = ListingButton.decode(value)  # PayloadError is a ValueError
    return data.c, data.q


def freshness_line(as_of: datetime | None, *, refreshing: bool, failures: int = 0) -> str:
    """`as of 14:05 UTC`, `as of 14:05 UTC, refreshing…`, or `scanning…` (nothing yet)."""
    if as_of is None:
        line = "scanning… (nothing stored yet; this answer updates when the scan lands)"
    else:
        line = f"as of {as_of:%H:%M} UTC"
        if refreshing:
            line += ", refreshing… (this answer updates when it lands)"
    if failures:
        line += f" · {failures} target(s) failed: last good findings shown"
    return line


def listing_buttons(command: str, text: str, *, refreshing: bool) -> dict[str, Any]:
    """The Refresh and Download CSV buttons."""
    value = listing_value(command, text)
    label = "Refreshing…" if refreshing else "Refresh"
    return {
        "type": "actions",
        "block_id": "listing-actions",
        "elements": [
            {
                "type": "button",
                "action_id": ListingAction.REFRESH.value,
                "text": {"type": "plain_text", "text": label},
                "value": value,
            },
            {
                "type": "button",
                "action_id": ListingAction.CSV.value,
                "text": {"type": "plain_text", "text": "Download CSV"},
                "value": value,
            },
        ],
    }


def with_freshness(
    message: dict[str, Any],
    *,
    command: str,
    text: str,
    as_of: datetime | None,
    refreshing: bool,
    failures: int = 0,
) -> dict[str, Any]:
    """`message` with the "as of" line and the buttons at its end (blocks before the
    last one give way when Slack's 50-block limit would be passed)."""
    blocks = list(message.get("blocks", []))
    while len(blocks) + 2 > MAX_BLOCKS and len(blocks) > 2:
        blocks.pop(-2)
    blocks.append(context(freshness_line(as_of, refreshing=refreshing, failures=failures)))
    blocks.append(listing_buttons(command, text, refreshing=refreshing))
    return {**message, "blocks": blocks}


_MARKUP = re.compile(r"<([^|>]+)\|([^>]+)>")


def plain(text: str) -> str:
    """A cell without Slack markup (links, `code`, *bold*), safe from spreadsheet formulas."""
    text = _MARKUP.sub(r"\2", text or "")
    text = text.replace("`", "").replace("*", "")
    text = " ".join(text.split())
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def findings_csv(findings: Iterable[Finding], *, as_of: datetime | None) -> str:
    """One row per finding: id, kind, account, region, team, owner, monthly cost or saving,
    recommendation, the resource's age in days, and when it was scanned."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    stamp = as_of.strftime("%Y-%m-%d %H:%M UTC") if as_of else ""
    for f in findings:
        writer.writerow(
            [
                plain(f.resource_id),
                f.kind,
                f.account,
                f.region,
                plain(f.team or ""),
                plain(f.owner or ""),
                f"{f.monthly_cost:.2f}",
                plain(f.reason),
                "" if f.age_days is None else str(f.age_days),
                stamp,
            ]
        )
    return out.getvalue()
