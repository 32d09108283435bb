"""Any slash command the bot does not know (for example one left in the app config)."""

from __future__ import annotations

from slack_bolt import Ack

from bot.args import suggest
from bot.render.common import error_message


def handle_unknown_command(ack: Ack, command: dict[str, str]) -> None:
    """Say the command is unknown and list the ones that exist."""
    from handlers import registered_commands

    name = command.get("command", "")
    known = registered_commands()
    if name in known:  # never says "does not know" about a command it knows
        ack(text=f":hourglass: `{name}` is still being answered; it will appear here.")
        return
    ack(
        **error_message(
            f"This bot does not know `{name}`{suggest(name, known) or '.'}",
            hint="Commands: " + ", ".join(f"`{c}`" for c in known) + ". Try `/finops help`.",
        )
    )
