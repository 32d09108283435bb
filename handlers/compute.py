"""`/compute [team=NAME] [region=R]`: spot advice by workload tag, ECS clusters with too many
nodes, Fargate services cheaper on EC2, with savings; "Request …" buttons open approval
requests for the changes AWS can make in place."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.catalogue import default_catalogue
from bot.advice.compute import request_change, scan_compute
from bot.args import ArgumentError, parse_args
from bot.orphans.query import check_scope
from bot.remediation import requests as store
from bot.remediation.service import ResourceRef
from bot.render import remediation as render
from bot.render.common import error_message, section
from bot.render.compute import compute_help, compute_message
from bot.services import Services
from handlers.cleanup_actions import announce_request

COMMAND = "/compute"
USAGE = "/compute [team=NAME] [region=REGION]"
SUMMARY = "compute savings: spot by workload, ECS capacity, Fargate vs EC2"


def handle_compute(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    config = services.config.compute
    try:
        args = parse_args(command.get("text", ""), keys=("team", "region"), words=("help",),
                          command=COMMAND)
        options = {k: v.strip().lower() for k, v in args.options.items()}
        scope = check_scope(services.config, team=options.get("team") or None,
                            region=options.get("region") or None, kind=None)
    except ArgumentError as exc:
        ack(**error_message(str(exc), hint=f"Usage: `{USAGE}`"))
        return
    if "help" in args.words:
        ack(**compute_help(COMMAND, USAGE, SUMMARY, config))
        return
    ack(text="Looking at compute…",
        blocks=[section(":mag: Looking at Auto Scaling groups, instances and ECS…")])
    catalogue = default_catalogue()
    report = scan_compute(services, scope, catalogue=catalogue)
    with services.db.session() as session:
        pending = store.open_requests(session, [f.resource_id for f in report.findings])
    respond(**compute_message(report, scope=scope, config=config, as_of=catalogue.as_of,
                              open_requests=pending), response_type="ephemeral")


def handle_request_compute(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
    client: WebClient, context: BoltContext,
) -> None:
    """Open a request for a compute change and post it with Approve and Reject."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    try:
        data = json.loads(action["value"])
        ref = ResourceRef(kind=data["k"], region=data["r"], account=data["a"],
                          resource_id=data["id"])
    except (KeyError, TypeError, ValueError):
        respond(**render.problem("That button is out of date.", hint="Run `/compute` again."))
        return
    result = request_change(services, ref, user=user)
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No change requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)
