"""`/savings [team=NAME] [region=R]`: every open recommendation (orphans, rightsizing,
storage, compute) in one list, sorted by monthly saving, with the total."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.findings.model import Finding
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing
from bot.inventory.reports import SAVINGS_SOURCES, savings_kinds, savings_report
from bot.inventory.requests import pending_requests
from bot.render.listing import Page
from bot.render.savings import savings_help, savings_message
from bot.services import Services
from handlers.advice_common import advice_scope, scope_or_answer
from handlers.listings import ListingView, answer_listing, register_view

COMMAND = "/savings"
USAGE = "/savings [team=NAME] [region=REGION]"
SUMMARY = "every open recommendation (waste, rightsizing, storage, compute) by saving"


def _render(services: Services, listing: Listing, scope: ScanFilter, page: Page) -> dict[str, Any]:
    report = savings_report(listing, scope)
    pending = pending_requests(services, [i.finding for i in report.items])
    return savings_message(report, scope=scope, open_requests=pending, page=page)


def _rows(listing: Listing, scope: ScanFilter) -> list[Finding]:
    return [item.finding for item in savings_report(listing, scope).items]


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=lambda services, text: advice_scope(services, text, command=COMMAND)[0],
        kinds=lambda scope: savings_kinds(),
        render=_render,
        rows=_rows,
    )
)


def handle_savings(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then answer from the inventory."""
    services: Services = context["services"]
    text = command.get("text", "")
    parsed = scope_or_answer(ack, text, services, command=COMMAND, usage=USAGE)
    if parsed is None:
        return
    scope, wants_help = parsed
    if wants_help:
        ack(**savings_help(COMMAND, USAGE, SUMMARY, sorted(n for n, _ in SAVINGS_SOURCES.values())))
        return
    ack()
    answer_listing(services, respond, VIEW, scope, text)
