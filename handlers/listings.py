"""The one pipeline of every listing command: parse scope → read the inventory → render.

Fresh targets answer at once; stale or missing ones answer from what is stored (with
"as of HH:MM, refreshing…" or "scanning…") and the same answer is replaced in place
(`response_url`, `replace_original`) when the refresh lands. The Refresh button refreshes
every target of the listing (joining a refresh already running); Download CSV sends the
whole listing as a file. Handlers open no database sessions: the domain does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError
from bot.findings.model import Finding
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, list_findings, read_listing
from bot.payloads import ListingButton, ListingPageButton
from bot.render.common import error_message
from bot.render.listing import PAGE_SIZE, Page, findings_csv, with_freshness
from bot.services import Services
from bot.slack.outbound import SlackFailure, outbound_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListingView:
    """One listing command: how it reads its arguments, which kinds it lists, how it
    draws a page and which findings its CSV holds.

    Optional: `select` turns the command's scope into what is read from the inventory
    (say, `/tags` filters teams itself); `csv` writes a file of the view's own columns
    instead of the findings' (content, rows); `page_size` is the items a page shows."""

    command: str
    parse: Callable[[Services, str], ScanFilter]
    kinds: Callable[[ScanFilter], list[str]]
    render: Callable[[Services, Listing, ScanFilter, Page], dict[str, Any]]
    rows: Callable[[Listing, ScanFilter], list[Finding]]
    select: Callable[[ScanFilter], ScanFilter] | None = None
    csv: Callable[[Services, Listing, ScanFilter], tuple[str, int]] | None = None
    page_size: int = PAGE_SIZE

    def read_scope(self, scope: ScanFilter) -> ScanFilter:
        """What to read from the inventory for `scope`."""
        return self.select(scope) if self.select else scope


VIEWS: dict[str, ListingView] = {}


def register_view(view: ListingView) -> ListingView:
    """Add a listing command to the pipeline (done by each command's module)."""
    VIEWS[view.command] = view
    return view


def listing_message(
    services: Services,
    view: ListingView,
    listing: Listing,
    scope: ScanFilter,
    text: str,
    offset: int = 0,
    *,
    after: tuple[str, ...] = (),
    since: int | None = None,
) -> dict[str, Any]:
    """A page of the listing with its "as of" line and buttons (the page after the items
    `after` names, else from `offset`; `since`: the newest scan the first page read, Unix
    seconds: when a later one has landed, the page says so)."""
    newest = int(listing.newest.timestamp()) if listing.newest else None
    page = Page(
        command=view.command,
        text=text,
        offset=offset,
        size=view.page_size,
        after=after,
        since=since if since is not None else newest,
    )
    message = view.render(services, listing, scope, page)
    return with_freshness(
        message,
        command=view.command,
        text=text,
        as_of=listing.as_of,
        refreshing=listing.refreshing,
        failures=len(listing.failures),
        moved=since is not None and newest is not None and newest > since,
    )


def answer_listing(
    services: Services,
    respond: Respond,
    view: ListingView,
    scope: ScanFilter,
    text: str,
    *,
    refresh: bool = False,
    replace: bool = False,
) -> Listing:
    """Answer from the inventory now; replace that answer when a refresh lands."""
    listing = list_findings(
        services, kinds=view.kinds(scope), scope=view.read_scope(scope), refresh=refresh
    )
    respond(
        **listing_message(services, view, listing, scope, text, 0),
        response_type="ephemeral",
        replace_original=replace,
    )

    def landed(fresh: Listing) -> None:
        try:
            respond(
                **listing_message(services, view, fresh, scope, text, 0),
                response_type="ephemeral",
                replace_original=True,
            )
        except Exception:
            log.warning(
                "could not update the %s answer after a refresh", view.command, exc_info=True
            )

    listing.when_refreshed(landed)
    return listing


def _view_and_scope(
    services: Services, value: ListingButton
) -> tuple[ListingView, ScanFilter, str]:
    view = VIEWS.get(value.c)
    if view is None:
        raise ValueError(f"{value.c} is not a listing")
    return view, view.parse(services, value.q), value.q


def handle_refresh(ack: Ack, respond: Respond, context: BoltContext, value: ListingButton) -> None:
    """Refresh every target of the listing (or join the refresh running) and redraw it."""
    ack()
    services: Services = context["services"]
    try:
        view, scope, text = _view_and_scope(services, value)
    except (ArgumentError, KeyError, TypeError, ValueError):
        respond(**error_message("That button is out of date."), replace_original=False)
        return
    answer_listing(services, respond, view, scope, text, refresh=True, replace=True)


def handle_show_more(
    ack: Ack, respond: Respond, context: BoltContext, value: ListingPageButton
) -> None:
    """Replace the listing with its next page, read from the stored inventory (no rescan;
    the same stable order, starting right after the last items the previous page showed,
    so a refresh landing between two clicks neither repeats nor skips a finding)."""
    ack()
    services: Services = context["services"]
    try:
        view, scope, text = _view_and_scope(services, value)
    except (ArgumentError, KeyError, TypeError, ValueError):
        respond(**error_message("That button is out of date."), replace_original=False)
        return
    listing = read_listing(services, kinds=view.kinds(scope), scope=view.read_scope(scope))
    after = tuple(value.k or ())
    respond(
        **listing_message(
            services, view, listing, scope, text, value.o, after=after, since=value.t
        ),
        response_type="ephemeral",
        replace_original=True,
    )


def upload_csv(services: Services, *, user: str, filename: str, content: str, title: str) -> bool:
    """Send a CSV file to the user's direct messages with the bot (files upload v2)."""
    outbound = outbound_for(services)
    try:
        channel = outbound.open_dm(user)
        outbound.upload_file(
            content=content, filename=filename, title=title, channel=channel, comment=title
        )
    except (SlackFailure, OSError) as exc:
        log.warning("CSV upload failed: %s", exc)
        return False
    return True


def handle_csv(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    value: ListingButton,
) -> None:
    """Send the whole listing (every finding, not one page) as a CSV file."""
    ack()
    services: Services = context["services"]
    try:
        view, scope, text = _view_and_scope(services, value)
    except (ArgumentError, KeyError, TypeError, ValueError):
        respond(**error_message("That button is out of date."), replace_original=False)
        return
    listing = read_listing(services, kinds=view.kinds(scope), scope=view.read_scope(scope))
    if view.csv is not None:
        content, count = view.csv(services, listing, scope)
    else:
        rows = view.rows(listing, scope)
        content, count = findings_csv(rows, as_of=listing.as_of), len(rows)
    name = view.command.strip("/")
    title = f"{view.command} {text}".strip() + f" ({count} rows)"
    sent = upload_csv(
        services,
        user=str(body["user"]["id"]),
        filename=f"{name}.csv",
        content=content,
        title=title,
    )
    message = (
        f":page_facing_up: Sent `{name}.csv` ({count} rows) to your direct messages."
        if sent
        else ":warning: The CSV could not be uploaded; try again in a moment."
    )
    respond(text=message, response_type="ephemeral", replace_original=False)
