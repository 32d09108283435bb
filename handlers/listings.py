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
from slack_sdk import WebClient

from bot.args import ArgumentError
from bot.findings.model import Finding
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, list_findings, read_listing
from bot.render.common import error_message
from bot.render.listing import findings_csv, read_listing_value, with_freshness
from bot.services import Services
from bot.slack.outbound import SlackFailure, outbound_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListingView:
    """One listing command: how it reads its arguments, which kinds it lists, how it
    draws a page and which findings its CSV holds."""

    command: str
    parse: Callable[[Services, str], ScanFilter]
    kinds: Callable[[ScanFilter], list[str]]
    render: Callable[[Services, Listing, ScanFilter, int], dict[str, Any]]
    rows: Callable[[Listing, ScanFilter], list[Finding]]


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
    offset: int,
) -> dict[str, Any]:
    """A page of the listing with its "as of" line and buttons."""
    message = view.render(services, listing, scope, offset)
    return with_freshness(
        message,
        command=view.command,
        text=text,
        as_of=listing.as_of,
        refreshing=listing.refreshing,
        failures=len(listing.failures),
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
    listing = list_findings(services, kinds=view.kinds(scope), scope=scope, refresh=refresh)
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
    services: Services, action: dict[str, Any]
) -> tuple[ListingView, ScanFilter, str]:
    command, text = read_listing_value(str(action.get("value", "")))
    view = VIEWS.get(command)
    if view is None:
        raise ValueError(f"{command} is not a listing")
    return view, view.parse(services, text), text


def handle_refresh(
    ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Refresh every target of the listing (or join the refresh running) and redraw it."""
    ack()
    services: Services = context["services"]
    try:
        view, scope, text = _view_and_scope(services, action)
    except (ArgumentError, KeyError, TypeError, ValueError):
        respond(**error_message("That button is out of date."), replace_original=False)
        return
    answer_listing(services, respond, view, scope, text, refresh=True, replace=True)


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
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Send the whole listing (every finding, not one page) as a CSV file."""
    ack()
    services: Services = context["services"]
    try:
        view, scope, text = _view_and_scope(services, action)
    except (ArgumentError, KeyError, TypeError, ValueError):
        respond(**error_message("That button is out of date."), replace_original=False)
        return
    listing = read_listing(services, kinds=view.kinds(scope), scope=scope)
    rows = view.rows(listing, scope)
    name = view.command.strip("/")
    title = f"{view.command} {text}".strip() + f" ({len(rows)} rows)"
    sent = upload_csv(
        services,
        user=str(body["user"]["id"]),
        filename=f"{name}.csv",
        content=findings_csv(rows, as_of=listing.as_of),
        title=title,
    )
    message = (
        f":page_facing_up: Sent `{name}.csv` ({len(rows)} rows) to your direct messages."
        if sent
        else ":warning: The CSV could not be uploaded; try again in a moment."
    )
    respond(text=message, response_type="ephemeral", replace_original=False)
