"""`/rightsize [team=NAME] [region=R]`: idle and oversized running instances from their
CPU over the look-back window, with savings; "Stop" / "Terminate" / "Change to <type>"
buttons open approval requests."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.catalogue import default_catalogue
from bot.advice.rightsizing import request_change, scan_rightsizing
from bot.args import ArgumentError, parse_args
from bot.orphans.query import check_scope
from bot.remediation import requests as store
from bot.remediation.service import ResourceRef
from bot.render import remediation as render
from bot.render.common import error_message, section
from bot.render.rightsize import ACTION_OF, rightsize_help, rightsize_message
from bot.services import Services
from handlers.cleanup_actions import announce_request

COMMAND = "/rightsize"
USAGE = "/rightsize [team=NAME] [region=REGION]"
SUMMARY = "idle and oversized EC2 instances from their CPU: stop or downsize, with savings"


def handle_rightsize(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    limits = services.config.rightsizing
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
        ack(**rightsize_help(COMMAND, USAGE, SUMMARY, idle_avg=limits.idle_avg_pct,
                             idle_p95=limits.idle_p95_pct, downsize_avg=limits.downsize_avg_pct,
                             days=limits.lookback_days))
        return
    ack(text="Looking at instances…",
        blocks=[section(":mag: Looking at running instances and their CPU…")])
    report = scan_rightsizing(services, scope)
    with services.db.session() as session:
        pending = store.open_requests(session, [f.resource_id for f in report.findings])
    respond(**rightsize_message(report, scope=scope, catalogue=default_catalogue(),
                                lookback_days=limits.lookback_days, open_requests=pending),
            response_type="ephemeral")


def handle_request_rightsize(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
    client: WebClient, context: BoltContext,
) -> None:
    """Open a request for a stop / terminate / type change and post it with Approve and
    Reject (any of the three buttons)."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    try:
        data = json.loads(action["value"])
        ref = ResourceRef(kind=data["k"], region=data["r"], account=data["a"],
                          resource_id=data["id"])
        wanted = ACTION_OF[action["action_id"]]
    except (KeyError, TypeError, ValueError):
        respond(**render.problem("That button is out of date.", hint="Run `/rightsize` again."))
        return
    result = request_change(services, ref, user=user, instance_type=data.get("t"),
                            action=wanted)
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No change requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)
