"""`/finops [help]`: what the bot can do."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError, parse_args
from bot.render.common import error_message, help_message
from bot.render.text import esc

COMMAND = "/finops"
USAGE = "/finops help"
SUMMARY = "what this bot can do and how to ask it"


def handle_finops(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext
) -> None:
    """Answer with the list of commands, or with what was wrong in the arguments."""
    from handlers import command_help  # the registry lists every command

    try:
        parse_args(command.get("text", ""), keys=(), words=("help",), command=COMMAND)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Try `{USAGE}`."))
        return
    ack(**help_message(command_help()))
