"""`/rightsize [team=NAME] [region=R]`: idle and oversized running instances from their
CPU over the look-back window, with savings; "Stop" / "Terminate" / "Change to <type>"
buttons open approval requests."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.catalogue import default_catalogue
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, family_kinds
from bot.inventory.reports import rightsize_report
from bot.inventory.requests import pending_requests
from bot.inventory.requests import request_rightsize_change as request_change
from bot.payloads import RightsizeButton
from bot.remediation.service import RequestResult, ResourceRef
from bot.render.rightsize import ACTION_OF, rightsize_help, rightsize_message
from bot.services import Services
from handlers.advice_common import advice_scope, request_from_click, scope_or_answer
from handlers.listings import ListingView, answer_listing, register_view

COMMAND = "/rightsize"
USAGE = "/rightsize [team=NAME] [region=REGION]"
SUMMARY = "idle and oversized EC2 instances from their CPU: stop or downsize, with savings"


def _render(services: Services, listing: Listing, scope: ScanFilter, offset: int) -> dict[str, Any]:
    report = rightsize_report(listing, scope)
    return rightsize_message(
        report,
        scope=scope,
        catalogue=default_catalogue(),
        lookback_days=services.config.rightsizing.lookback_days,
        open_requests=pending_requests(services, report.findings),
    )


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=lambda services, text: advice_scope(services, text, command=COMMAND)[0],
        kinds=lambda scope: family_kinds("rightsize"),
        render=_render,
        rows=lambda listing, scope: list(listing.findings),
    )
)


def handle_rightsize(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    limits = services.config.rightsizing
    parsed = scope_or_answer(ack, command.get("text", ""), services, command=COMMAND, usage=USAGE)
    if parsed is None:
        return
    scope, wants_help = parsed
    if wants_help:
        ack(
            **rightsize_help(
                COMMAND,
                USAGE,
                SUMMARY,
                idle_avg=limits.idle_avg_pct,
                idle_p95=limits.idle_p95_pct,
                downsize_avg=limits.downsize_avg_pct,
                days=limits.lookback_days,
            )
        )
        return
    ack()
    answer_listing(services, respond, VIEW, scope, command.get("text", ""))


def handle_request_rightsize(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: RightsizeButton,
) -> None:
    """Open a request for a stop / terminate / type change and post it with Approve and
    Reject (any of the three buttons)."""
    ack()
    services: Services = context["services"]

    def request(ref: ResourceRef, user: str, data: dict[str, Any], action_id: str) -> RequestResult:
        wanted = ACTION_OF.get(action_id)
        if wanted is None:
            return RequestResult(problem=f"that button is out of date; run `{COMMAND}` again")
        return request_change(services, ref, user=user, instance_type=data.get("t"), action=wanted)

    request_from_click(
        body, action, value, respond, client, services, command=COMMAND, request=request
    )
