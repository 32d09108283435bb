"""`/cost [team=] [period=] [by=] [service=] [account=] [region=]` and its Share button."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.args import ArgumentError
from bot.cost.chart import MIN_CHART_DAYS, daily_chart
from bot.cost.query import CostQuery, parse_query
from bot.cost.report import CostReport
from bot.cost.runtime import runtime_for
from bot.cost.service import CostUnavailable, answer_cost
from bot.observability.metrics import count_outcome, observe_answer
from bot.payloads import CostShareButton
from bot.render.common import error_message, section
from bot.render.cost import cost_help, cost_message, share_value
from bot.render.text import esc
from bot.services import Services
from bot.slack.outbound import SlackFailure, outbound_for
from jobs.posting import claim_share, release_share

COMMAND = "/cost"
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
    started = time.perf_counter()
    try:
        parsed = parse_query(
            command.get("text", ""), services.config, services.now().date(), command=COMMAND
        )
    except ArgumentError as exc:
        count_outcome(COMMAND, "bad_input")
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}` · details: `{COMMAND} help`"))
        return
    if parsed.wants_help:
        ack(**cost_help(COMMAND, USAGE, SUMMARY, services.config.team_names()))
        return
    ack()  # no placeholder: the answer (or a cached one, replaced later) comes from the worker

    def answer(cache_only: bool = False) -> dict[str, Any]:
        try:
            return _answer(services, parsed.query, client, logger, cache_only=cache_only)
        except Exception:
            logger.exception("/cost failed")
            return error_message(
                "Something went wrong on our side while adding up costs.",
                hint="It has been logged. Try again in a minute.",
            )

    counted = threading.Event()

    def respond_counted(**message: Any) -> None:
        """Send an answer; the first one the user sees is timed and counted by outcome."""
        outcome = message.pop("_outcome", "ok")
        respond(**message)
        if not counted.is_set():
            counted.set()
            observe_answer(COMMAND, time.perf_counter() - started, outcome)

    answer_within_budget(services, answer, respond_counted)  # on the bot's answer pool, acked


def answer_within_budget(
    services: Services, answer: Callable[..., dict[str, Any]], respond: Callable[..., None]
) -> None:
    """Answer at once from a fresh cache; otherwise fetch, and if that takes longer than
    `cost.answer_budget_seconds`, answer from the cache now ("still fetching") and replace
    that answer when the data arrives. The answer worker never waits for the fetch."""
    quick = answer(True)
    if not quick.pop("_stale", False):
        respond(**quick, response_type="ephemeral")
        return
    runtime = runtime_for(services)
    lock = threading.Lock()
    state = {"answered": False}

    # The lock orders the two answers: the final one replaces the cached one only after
    # that was posted (never the other way round).
    def finished(message: dict[str, Any]) -> None:
        message.pop("_stale", None)
        with lock:
            replace = state["answered"]
            state["answered"] = True
            if replace:
                respond(**message, response_type="ephemeral", replace_original=True)
            else:
                respond(**message, response_type="ephemeral")

    def out_of_time() -> None:
        with lock:
            if state["answered"]:
                return
            respond(**_pending(answer), response_type="ephemeral")
            state["answered"] = True

    timer = threading.Timer(services.config.cost.answer_budget_seconds, out_of_time)
    timer.daemon = True
    timer.start()

    def fetch() -> None:
        message = answer()
        timer.cancel()
        finished(message)

    runtime.fetch(fetch)


def _pending(answer: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    message = answer(True)
    message.pop("_stale", None)
    return message


handle_cost.times_itself = True  # type: ignore[attr-defined]  # answers on the cost runtime


def handle_share_cost(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
    value: CostShareButton,
) -> None:
    """Post the same answer in the channel (recomputed from the cache)."""
    ack()
    services: Services = context["services"]
    try:
        query, chart_id = share_value(value)
        report = answer_cost(services, query)
    except (ArgumentError, CostUnavailable, ValueError, KeyError) as exc:
        respond(
            **error_message(f"Could not share this answer: {esc(exc)}"),
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


def _answer(
    services: Services,
    query: CostQuery,
    client: WebClient,
    logger: logging.Logger,
    *,
    cache_only: bool = False,
) -> dict[str, Any]:
    """The answer message; with `cache_only`, from the cache (key `_stale` when days are
    missing there: the caller then fetches, and shows this one marked "still fetching")."""
    try:
        report = answer_cost(services, query, cache_only=cache_only)
        if cache_only and report.stale:
            report.pending = True
            message = cost_message(report, command=COMMAND, shareable=False)
            if report.data_as_of is None:  # nothing cached for these days
                text = "Still fetching costs (nothing cached yet) — this answer will update."
                message = {"text": text, "blocks": [section(f":hourglass_flowing_sand: {text}")]}
            message["_stale"] = True
            return message
    except ArgumentError as exc:
        return {**error_message(esc(exc), hint=f"Usage: `{USAGE}`"), "_outcome": "bad_input"}
    except CostUnavailable as exc:
        if cache_only:
            return {**error_message(str(exc)), "_stale": True}
        return {
            **error_message(
                str(exc),
                hint="Cost data is cached; answers resume as soon as the source responds again.",
            ),
            "_outcome": "failed",
        }
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
        file_id = outbound_for(services).upload_file(
            content=png, filename="daily-cost.png", title=f"Daily cost, {report.period.describe()}"
        )
    except (SlackFailure, OSError) as exc:
        logger.warning("chart upload failed: %s", exc)
        return None
    if not file_id:
        return None
    runtime.remember_chart(fingerprint, file_id)
    return file_id


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
