"""`/compute [team=NAME] [region=R]`: spot advice by workload tag, ECS clusters with too many
nodes, Fargate services cheaper on EC2, with savings; "Request …" buttons open approval
requests for the changes AWS can make in place."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.catalogue import default_catalogue
from bot.advice.compute import request_change, scan_compute
from bot.payloads import ResourceButton
from bot.remediation import requests as store
from bot.render.common import section
from bot.render.compute import compute_help, compute_message
from bot.services import Services
from handlers.advice_common import request_from_click, scope_or_answer

COMMAND = "/compute"
USAGE = "/compute [team=NAME] [region=REGION]"
SUMMARY = "compute savings: spot by workload, ECS capacity, Fargate vs EC2"


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
    ack(
        text="Looking at compute…",
        blocks=[section(":mag: Looking at Auto Scaling groups, instances and ECS…")],
    )
    catalogue = default_catalogue()
    report = scan_compute(services, scope, catalogue=catalogue)
    with services.db.session() as session:
        pending = store.open_requests(session, [f.resource_id for f in report.findings])
    respond(
        **compute_message(
            report, scope=scope, config=config, as_of=catalogue.as_of, open_requests=pending
        ),
        response_type="ephemeral",
    )


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
