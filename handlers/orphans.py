"""`/orphans [team=NAME] [region=R] [kind=K]`: paid-for waste, with "Request cleanup" buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError
from bot.orphans.model import load_kinds
from bot.orphans.prices import default_prices
from bot.orphans.query import parse_scope
from bot.orphans.scanner import ScanFilter, scan
from bot.remediation.requests import open_requests
from bot.render.common import error_message, section
from bot.render.orphans import orphans_help, orphans_message
from bot.render.text import esc
from bot.services import Services

COMMAND = "/orphans"
USAGE = "/orphans [team=NAME] [region=REGION] [kind=KIND]"
SUMMARY = "paid-for waste (unattached volumes, idle IPs and load balancers…) and cleanup requests"


def orphans_answer(services: Services, scope: ScanFilter, *, offset: int = 0) -> dict[str, Any]:
    """Scan and render one page (shared by the command and the "Show more" button)."""
    result = scan(services.aws, services.config, now=services.now, scope=scope)
    with services.db.session() as session:
        pending = open_requests(session, [f.resource_id for f in result.findings])
    return orphans_message(
        result, scope=scope, prices=default_prices(), offset=offset, open_requests=pending
    )


def handle_orphans(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    try:
        scope, wants_help = parse_scope(command.get("text", ""), services.config, command=COMMAND)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}`"))
        return
    if wants_help:
        ack(**orphans_help(COMMAND, USAGE, SUMMARY, sorted(load_kinds())))
        return
    ack(text="Looking for waste…", blocks=[section(":mag: Looking for waste…")])
    respond(**orphans_answer(services, scope), response_type="ephemeral")
