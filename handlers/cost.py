"""`/cost [team=] [period=] [by=] [service=] [account=] [region=]` and its Share button."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.args import ArgumentError
from bot.cost.chart import MIN_CHART_DAYS, daily_chart
from bot.cost.query import CostQuery, parse_query
from bot.cost.report import CostReport
from bot.cost.runtime import runtime_for
from bot.cost.service import CostUnavailable, answer_cost
from bot.render.common import error_message, section
from bot.render.cost import cost_help, cost_message, share_value
from bot.services import Services
from handlers.progress import answer_with_placeholder
from storage.models_alerts import PostedAlert

COMMAND = "/cost"
PLACEHOLDER = {"text": "Adding up costs…", "blocks": [section(":abacus: Adding up costs…")]}
USAGE = "/cost [team=NAME] [period=P] [by=D] [service=S] [account=ID] [region=R]"
SUMMARY = "exact AWS spend by team, service, account and period, with forecast and chart"


def handle_cost(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Check the question (answering mistakes at once), acknowledge, then answer."""
    services: Services = context["services"]
    try:
        parsed = parse_query(
            command.get("text", ""), services.config, services.now().date(), command=COMMAND
        )
    except ArgumentError as exc:
        ack(**error_message(str(exc), hint=f"Usage: `{USAGE}` · details: `{COMMAND} help`"))
        return
    if parsed.wants_help:
        ack(**cost_help(COMMAND, USAGE, SUMMARY, services.config.team_names()))
        return
    ack()  # the placeholder, if the answer is slow, comes from the worker (never after it)

    def compute() -> dict[str, Any]:
        try:
            return _answer(services, parsed.query, client, logger)
        except Exception:
            logger.exception("/cost failed")
            return error_message(
                "Something went wrong on our side while adding up costs.",
                hint="It has been logged. Try again in a minute.",
            )

    def answer() -> None:
        answer_with_placeholder(respond, compute, placeholder=PLACEHOLDER)

    runtime_for(services).submit(answer)  # frees this listener thread for the next ack


def handle_share_cost(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Post the same answer in the channel (recomputed from the cache)."""
    ack()
    services: Services = context["services"]
    try:
        query, chart_id = share_value(str(body["actions"][0]["value"]))
        report = answer_cost(services, query)
    except (ArgumentError, CostUnavailable, ValueError, KeyError) as exc:
        respond(
            **error_message(f"Could not share this answer: {exc}"),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    user = str(body.get("user", {}).get("id", "")) or None
    message = cost_message(
        report, command=COMMAND, chart_file_id=chart_id, shareable=False, shared_by=user
    )
    container = body.get("container") or {}
    key = f"share:{container.get('channel_id')}:{container.get('message_ts')}"
    if not claim_share(services, key=key, channel=str(container.get("channel_id") or "")):
        respond(
            **error_message("This answer is already shared in the channel."),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    try:
        respond(**message, response_type="in_channel", replace_original=False)
    except Exception:
        release_share(services, key=key)
        raise


def claim_share(services: Services, *, key: str, channel: str) -> bool:
    """Claim one answer's sharing (a second click, even on another replica, loses)."""
    try:
        with services.db.session() as session:
            session.add(
                PostedAlert(dedupe_key=key[:255], kind="share", channel=channel[:32], ts=None)
            )
    except IntegrityError:
        return False
    return True


def release_share(services: Services, *, key: str) -> None:
    """Give the claim back when posting failed, so a new click can share."""
    with services.db.session() as session:
        session.execute(delete(PostedAlert).where(PostedAlert.dedupe_key == key[:255]))


def _answer(
    services: Services, query: CostQuery, client: WebClient, logger: logging.Logger
) -> dict[str, Any]:
    try:
        report = answer_cost(services, query)
    except ArgumentError as exc:
        return error_message(str(exc), hint=f"Usage: `{USAGE}`")
    except CostUnavailable as exc:
        return error_message(
            str(exc),
            hint="Cost Explorer data is cached; answers resume as soon as it responds again.",
        )
    chart_id = upload_chart(services, client, report, logger)
    return cost_message(report, command=COMMAND, chart_file_id=chart_id)


def upload_chart(
    services: Services, client: WebClient, report: CostReport, logger: logging.Logger
) -> str | None:
    """Upload the daily chart privately (no channel) and return its file id, or None.

    An ephemeral answer cannot carry a file, so the PNG is uploaded without sharing it to
    any channel and the answer shows it through an image block (`slack_file`).
    """
    if report.period.days < MIN_CHART_DAYS or not report.daily:
        return None
    runtime = runtime_for(services)
    fingerprint = chart_fingerprint(report)
    known = runtime.chart_file(fingerprint)
    if known:
        return known  # the same chart is already uploaded: no new image, no new upload
    png = daily_chart(
        report.daily,
        title=f"Daily cost, {report.period.describe()}",
        currency=report.currency,
        provisional_from=report.provisional_from,
    )
    try:
        result = client.files_upload_v2(
            content=png,
            filename="daily-cost.png",
            title=f"Daily cost, {report.period.describe()}",
            alt_txt=f"Daily cost, {report.period.describe()}",
        )
    except (SlackApiError, OSError) as exc:
        logger.warning("chart upload failed: %s", exc)
        return None
    file = result.get("file") or (result.get("files") or [{}])[0]
    if not file.get("id"):
        return None
    runtime.remember_chart(fingerprint, str(file["id"]))
    return str(file["id"])


def chart_fingerprint(report: CostReport) -> str:
    """What the chart shows, as a hash: equal fingerprints mean an identical image."""
    text = json.dumps(
        [
            report.period.start.isoformat(),
            report.period.end.isoformat(),
            report.currency,
            str(report.provisional_from),
            [str(amount) for _, amount in report.daily],
        ]
    )
    return hashlib.sha1(text.encode()).hexdigest()
