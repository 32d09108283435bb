"""What every listing shows about the inventory it was read from: "as of" (refreshing…,
scanning…), a Refresh and a Download CSV button; and the CSV file itself (plain cells)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.findings.model import Finding
from bot.payloads import ListingButton, ListingPageButton
from bot.render.common import MAX_BLOCKS, Blocks, context

#: Longest command text carried in a button value (Slack allows 2,000 characters).
MAX_QUERY = 500
T = TypeVar("T")
#: Findings per page of a listing ("Show more" gives the next page of the same stored list).
PAGE_SIZE = 20
#: Items a "Show more" button names as where the next page starts, and their longest key.
PAGE_KEYS = 3
MAX_KEY = 400
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
    SHOW_MORE = "listing_show_more"


def listing_value(command: str, text: str) -> str:
    """The value of a listing's buttons: which command, with which arguments."""
    return ListingButton(c=command, q=text[:MAX_QUERY]).encode()


def page_value(
    command: str, text: str, offset: int, after: Sequence[str] = (), since: int | None = None
) -> str:
    """The value of a listing's "Show more" button: the command, its arguments, how many
    were shown before the next page, which items the page just shown ended with, and the
    newest scan the first page read (`since`)."""
    keys = [k for k in after if len(k) <= MAX_KEY][:PAGE_KEYS]
    while True:
        value = ListingPageButton(c=command, q=text[:MAX_QUERY], o=offset, k=keys or None, t=since)
        try:
            return value.encode()
        except ValueError:  # too long for a button: keep fewer anchors
            if not keys:
                raise
            keys = keys[:-1]


def identity(item: Any) -> str:
    """An item's place-independent key in a listing: `kind|account|region|id` of its
    finding (items may wrap one as `.finding`, pair one with a group name, or be a
    checked resource with `.resource`)."""
    if isinstance(item, tuple):
        item = item[-1]
    item = getattr(item, "finding", item)
    resource = getattr(item, "resource", None)
    if resource is not None:
        return (
            f"{resource.resource_type}|{resource.account}|{resource.region}|{resource.resource_id}"
        )
    return f"{item.kind}|{item.account}|{item.region}|{item.resource_id}"


@dataclass(frozen=True)
class Page:
    """Which page of a listing to draw: its command and arguments (for the "Show more"
    button) and where the page starts in the listing's stable order.

    A next page starts right after the last item the previous page showed (`after`: the
    identities of its last few items, newest first), found in the list as it is now, so
    a refresh landing between two clicks neither repeats nor skips an item that is in
    both lists: items added or removed before that point do not shift the page. When
    none of those items is listed any more, the page starts at `offset` (the count shown
    before). An item whose own figure moved it across that point is the one exception:
    `since` (the newest scan the first page read) lets it say the list was refreshed since.
    """

    command: str
    text: str = ""
    offset: int = 0
    size: int = PAGE_SIZE
    after: tuple[str, ...] = ()
    since: int | None = None

    def start(self, ordered: Sequence[Any]) -> int:
        """Where this page starts in `ordered`."""
        if self.after:
            where = {identity(item): n for n, item in enumerate(ordered)}
            for key in self.after:
                if key in where:
                    return where[key] + 1
        return min(self.offset, len(ordered))

    def items(self, ordered: Sequence[T]) -> list[T]:
        """This page's slice of the listing's items (in their one stable order)."""
        start = self.start(ordered)
        return list(ordered[start : start + self.size])

    def footer(self, shown: Sequence[Any], ordered: Sequence[Any]) -> Blocks:
        """ "Showing 21 to 40 of 57." and a "Show more (17 left)" button, when more remain."""
        start = self.start(ordered)
        end, count = start + len(shown), len(ordered)
        if end >= count or not shown:
            return [context(f"Showing {start + 1} to {end} of {count}.")] if start else []
        anchors = [identity(item) for item in reversed(shown[-PAGE_KEYS:])]
        return [
            context(f"Showing {start + 1} to {end} of {count}."),
            {
                "type": "actions",
                "block_id": "listing-more",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ListingAction.SHOW_MORE.value,
                        "text": {"type": "plain_text", "text": f"Show more ({count - end} left)"},
                        "value": page_value(
                            self.command, self.text, end, anchors, since=self.since
                        ),
                    }
                ],
            },
        ]


#: Said on a later page when the list was refreshed since its first page.
MOVED = (
    "refreshed since the first page: a finding whose figure changed may have moved to an "
    "earlier page or be shown again; Refresh starts over"
)


def freshness_line(
    as_of: datetime | None, *, refreshing: bool, failures: int = 0, moved: bool = False
) -> str:
    """`as of 14:05 UTC`, `as of 14:05 UTC, refreshing…`, or `scanning…` (nothing yet);
    `moved`: the list was refreshed since this listing's first page."""
    if as_of is None:
        line = "scanning… (nothing stored yet; this answer updates when the scan lands)"
    else:
        line = f"as of {as_of:%H:%M} UTC"
        if refreshing:
            line += ", refreshing… (this answer updates when it lands)"
    if failures:
        line += f" · {failures} target(s) failed: last good findings shown"
    if moved:
        line += f" · {MOVED}"
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
    moved: bool = False,
) -> dict[str, Any]:
    """`message` with the "as of" line and the buttons at its end (blocks before the
    last one give way when Slack's 50-block limit would be passed)."""
    blocks = list(message.get("blocks", []))
    while len(blocks) + 2 > MAX_BLOCKS and len(blocks) > 2:
        blocks.pop(-2)
    line = freshness_line(as_of, refreshing=refreshing, failures=failures, moved=moved)
    blocks.append(context(line))
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
