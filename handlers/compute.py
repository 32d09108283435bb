"""`/compute [team=NAME] [region=R]`: spot advice by workload tag, ECS clusters with too many
nodes, Fargate services cheaper on EC2, with savings; "Request …" buttons open approval
requests for the changes AWS can make in place."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.catalogue import default_catalogue
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing
from bot.inventory.reports import compute_kinds, compute_report
from bot.inventory.requests import pending_requests
from bot.inventory.requests import request_compute_change as request_change
from bot.payloads import ResourceButton
from bot.render.compute import compute_help, compute_message
from bot.render.listing import Page
from bot.services import Services
from handlers.advice_common import advice_scope, request_from_click, scope_or_answer
from handlers.listings import ListingView, answer_listing, register_view

COMMAND = "/compute"
USAGE = "/compute [team=NAME] [region=REGION]"
SUMMARY = "compute savings: spot by workload, ECS capacity, Fargate vs EC2"


def _render(services: Services, listing: Listing, scope: ScanFilter, page: Page) -> dict[str, Any]:
    report = compute_report(listing, scope)
    return compute_message(
        report,
        scope=scope,
        config=services.config.compute,
        as_of=default_catalogue().as_of,
        open_requests=pending_requests(services, report.findings),
        page=page,
    )


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=lambda services, text: advice_scope(services, text, command=COMMAND)[0],
        kinds=compute_kinds,
        render=_render,
        rows=lambda listing, scope: compute_report(listing, scope).findings,
    )
)


def handle_compute(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    config = services.config.compute
    parsed = scope_or_answer(ack, command.get("text", ""), services, command=COMMAND, usage=USAGE)
    if parsed is None:
        return
    scope, wants_help = parsed
    if wants_help:
        ack(**compute_help(COMMAND, USAGE, SUMMARY, config))
        return
    ack()
    answer_listing(services, respond, VIEW, scope, command.get("text", ""))


def handle_request_compute(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: ResourceButton,
) -> None:
    """Open a request for a compute change and post it with Approve and Reject."""
    ack()
    services: Services = context["services"]
    request_from_click(
        body,
        action,
        value,
        respond,
        client,
        services,
        command=COMMAND,
        request=lambda ref, user, data, action_id: request_change(services, ref, user=user),
    )
