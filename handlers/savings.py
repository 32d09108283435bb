"""`/savings [team=NAME] [region=R]`: every open recommendation (orphans, rightsizing,
storage, compute) in one list, sorted by monthly saving, with the total."""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext, Respond

from bot.advice.savings import collect_savings, load_sources
from bot.remediation import requests as store
from bot.render.common import section
from bot.render.savings import savings_help, savings_message
from bot.services import Services
from handlers.advice_common import scope_or_answer

COMMAND = "/savings"
USAGE = "/savings [team=NAME] [region=REGION]"
SUMMARY = "every open recommendation (waste, rightsizing, storage, compute) by saving"


def handle_savings(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then collect and answer."""
    services: Services = context["services"]
    parsed = scope_or_answer(ack, command.get("text", ""), services, command=COMMAND, usage=USAGE)
    if parsed is None:
        return
    scope, wants_help = parsed
    if wants_help:
        ack(**savings_help(COMMAND, USAGE, SUMMARY, sorted(load_sources())))
        return
    ack(
        text="Adding up savings…",
        blocks=[section(":mag: Collecting every recommendation (this takes a few seconds)…")],
    )
    report = collect_savings(services, scope)
    with services.db.session() as session:
        pending = store.open_requests(session, [i.finding.resource_id for i in report.items])
    respond(
        **savings_message(report, scope=scope, open_requests=pending), response_type="ephemeral"
    )
