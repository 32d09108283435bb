"""`/storage [team=NAME] [region=R]`: gp2 volumes to move to gp3 and S3 buckets without a
lifecycle policy, with savings; "Request …" buttons open approval requests."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.advice.storage import request_change, scan_storage
from bot.advice.storage_buckets import policy_text
from bot.args import ArgumentError, parse_args
from bot.orphans.prices import default_prices
from bot.orphans.query import check_scope
from bot.remediation import requests as store
from bot.remediation.service import ResourceRef
from bot.render import remediation as render
from bot.render.common import error_message, section
from bot.render.storage_advice import storage_help, storage_message
from bot.services import Services
from handlers.cleanup_actions import announce_request

COMMAND = "/storage"
USAGE = "/storage [team=NAME] [region=REGION]"
SUMMARY = "storage savings: gp2 volumes to gp3, S3 buckets without a lifecycle policy"


def handle_storage(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then scan and answer."""
    services: Services = context["services"]
    policy = policy_text(services.config.storage)
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
        ack(**storage_help(COMMAND, USAGE, SUMMARY, policy))
        return
    ack(text="Looking at storage…", blocks=[section(":mag: Looking at volumes and buckets…")])
    report = scan_storage(services, scope)
    with services.db.session() as session:
        pending = store.open_requests(
            session, [f.resource_id for f in report.volumes + report.buckets])
    respond(**storage_message(report, scope=scope, prices=default_prices(), policy=policy,
                              open_requests=pending), response_type="ephemeral")


def handle_request_change(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
    client: WebClient, context: BoltContext,
) -> None:
    """Open a request for a storage change and post it with Approve and Reject."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    try:
        data = json.loads(action["value"])
        ref = ResourceRef(kind=data["k"], region=data["r"], account=data["a"],
                          resource_id=data["id"])
    except (KeyError, TypeError, ValueError):
        respond(**render.problem("That button is out of date.", hint="Run `/storage` again."))
        return
    result = request_change(services, ref, user=user)
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No change requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)
