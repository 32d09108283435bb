"""`/finops [help|status]`: what the bot can do, and how it is doing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError, parse_args
from bot.observability.status import build_status
from bot.render.common import error_message, help_message
from bot.render.status import short_status_message, status_message
from bot.render.text import esc
from bot.services import Services

COMMAND = "/finops"
USAGE = "/finops help · /finops status"
SUMMARY = "what this bot can do and how to ask it; `status`: what the bot costs and how it is doing"


def handle_finops(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext
) -> None:
    """Answer with the list of commands, or with what was wrong in the arguments."""
    from handlers import command_help  # the registry lists every command

    try:
        parsed = parse_args(
            command.get("text", ""), keys=(), words=("help", "status"), command=COMMAND
        )
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Try `{USAGE}`."))
        return
    if "status" in parsed.words and "help" not in parsed.words:
        ack(**status_answer(context["services"], user=command.get("user_id", "")))
        return
    ack(**help_message(command_help()))


def status_answer(services: Services, *, user: str) -> dict[str, Any]:
    """The full status for an admin, the short one for everyone else (cheap DB reads only)."""
    from jobs.registry import load_jobs

    report = build_status(services, job_names=sorted(load_jobs()))
    if user in services.config.admins:
        return status_message(report)
    return short_status_message(report)
