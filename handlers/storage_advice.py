"""`/storage [team=NAME] [region=R]`: gp2 volumes to move to gp3 and S3 buckets without a
lifecycle policy, with savings; "Request …" buttons open approval requests."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.storage_buckets import policy_text
from bot.findings.prices import default_prices
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, family_kinds
from bot.inventory.reports import storage_report
from bot.inventory.requests import pending_requests
from bot.inventory.requests import request_storage_change as request_change
from bot.payloads import ResourceButton
from bot.render.storage_advice import storage_help, storage_message
from bot.services import Services
from handlers.advice_common import advice_scope, request_from_click, scope_or_answer
from handlers.listings import ListingView, answer_listing, register_view

COMMAND = "/storage"
USAGE = "/storage [team=NAME] [region=REGION]"
SUMMARY = "storage savings: gp2 volumes to gp3, S3 buckets without a lifecycle policy"


def _render(services: Services, listing: Listing, scope: ScanFilter, offset: int) -> dict[str, Any]:
    report = storage_report(listing)
    return storage_message(
        report,
        scope=scope,
        prices=default_prices(),
        policy=policy_text(services.config.storage),
        open_requests=pending_requests(services, report.volumes + report.buckets),
        min_saving=services.config.storage.min_monthly_saving,
    )


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=lambda services, text: advice_scope(services, text, command=COMMAND)[0],
        kinds=lambda scope: family_kinds("storage"),
        render=_render,
        rows=lambda listing, scope: list(listing.findings),
    )
)


def handle_storage(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    policy = policy_text(services.config.storage)
    parsed = scope_or_answer(ack, command.get("text", ""), services, command=COMMAND, usage=USAGE)
    if parsed is None:
        return
    scope, wants_help = parsed
    if wants_help:
        ack(**storage_help(COMMAND, USAGE, SUMMARY, policy))
        return
    ack()
    answer_listing(services, respond, VIEW, scope, command.get("text", ""))


def handle_request_change(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: ResourceButton,
) -> None:
    """Open a request for a storage change and post it with Approve and Reject."""
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
