"""`/orphans [team=NAME] [region=R] [kind=K]`: paid-for waste, with "Request cleanup" buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError
from bot.findings.model import Finding
from bot.findings.prices import default_prices
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, read_listing
from bot.inventory.reports import orphans_kinds, orphans_report
from bot.inventory.requests import pending_requests
from bot.orphans.model import load_kinds
from bot.orphans.query import parse_scope
from bot.render.common import error_message
from bot.render.listing import Page
from bot.render.orphans import orphans_help, orphans_message
from bot.render.text import esc
from bot.services import Services
from handlers.listings import ListingView, answer_listing, listing_message, register_view

COMMAND = "/orphans"
USAGE = "/orphans [team=NAME] [region=REGION] [kind=KIND]"
SUMMARY = "paid-for waste (unattached volumes, idle IPs and load balancers…) and cleanup requests"


def _render(services: Services, listing: Listing, scope: ScanFilter, page: Page) -> dict[str, Any]:
    report = orphans_report(listing)
    return orphans_message(
        report,
        scope=scope,
        prices=default_prices(),
        offset=page.offset,
        after=page.after,
        since=page.since,
        open_requests=pending_requests(services, report.findings),
    )


def _rows(listing: Listing, scope: ScanFilter) -> list[Finding]:
    return list(listing.findings)


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=lambda services, text: parse_scope(text, services.config, command=COMMAND)[0],
        kinds=orphans_kinds,
        render=_render,
        rows=_rows,
    )
)


def scope_text(scope: ScanFilter) -> str:
    """The command arguments that select `scope` (for the buttons of a later page)."""
    parts = [f"{k}={v}" for k, v in (("team", scope.team), ("region", scope.region)) if v]
    return " ".join(parts + ([f"kind={scope.kind}"] if scope.kind else []))


def orphans_answer(
    services: Services,
    scope: ScanFilter,
    *,
    offset: int = 0,
    after: tuple[str, ...] = (),
    since: int | None = None,
) -> dict[str, Any]:
    """One page from the stored inventory (the "Show more" button: no rescan), starting
    after the findings the previous page ended with."""
    listing = read_listing(services, kinds=orphans_kinds(scope), scope=scope)
    text = scope_text(scope)
    return listing_message(services, VIEW, listing, scope, text, offset, after=after, since=since)


def handle_orphans(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then answer from the inventory."""
    services: Services = context["services"]
    text = command.get("text", "")
    try:
        scope, wants_help = parse_scope(text, services.config, command=COMMAND)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}`"))
        return
    if wants_help:
        ack(**orphans_help(COMMAND, USAGE, SUMMARY, sorted(load_kinds())))
        return
    ack()
    answer_listing(services, respond, VIEW, scope, text)
