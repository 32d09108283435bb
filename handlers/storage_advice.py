"""`/storage [team=NAME] [region=R]`: gp2 volumes to move to gp3 and S3 buckets without a
lifecycle policy, with savings; "Request …" buttons open approval requests."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.storage import request_change, scan_storage
from bot.advice.storage_buckets import policy_text
from bot.orphans.prices import default_prices
from bot.payloads import ResourceButton
from bot.remediation import requests as store
from bot.render.common import section
from bot.render.storage_advice import storage_help, storage_message
from bot.services import Services
from handlers.advice_common import request_from_click, scope_or_answer

COMMAND = "/storage"
USAGE = "/storage [team=NAME] [region=REGION]"
SUMMARY = "storage savings: gp2 volumes to gp3, S3 buckets without a lifecycle policy"


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
    ack(text="Looking at storage…", blocks=[section(":mag: Looking at volumes and buckets…")])
    report = scan_storage(services, scope)
    with services.db.session() as session:
        pending = store.open_requests(
            session, [f.resource_id for f in report.volumes + report.buckets]
        )
    respond(
        **storage_message(
            report,
            scope=scope,
            prices=default_prices(),
            policy=policy,
            open_requests=pending,
            min_saving=services.config.storage.min_monthly_saving,
        ),
        response_type="ephemeral",
    )


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
