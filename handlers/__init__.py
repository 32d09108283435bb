"""Every slash command and interaction, registered in one place.

Adding a command: write `handlers/<name>.py` with COMMAND, USAGE, SUMMARY and a handler,
then add one line to COMMANDS below (and the command to manifest.yml — a test checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.render.common import CommandHelp
from handlers import finops, unknown_command


@dataclass(frozen=True)
class CommandSpec:
    """A slash command: its name, help text and listener."""

    name: str
    usage: str
    summary: str
    handler: Callable[..., Any]


COMMANDS: list[CommandSpec] = [
    CommandSpec(finops.COMMAND, finops.USAGE, finops.SUMMARY, finops.handle_finops),
]


def registered_commands() -> list[str]:
    """The slash commands this bot answers."""
    return [spec.name for spec in COMMANDS]


def command_help() -> list[CommandHelp]:
    """Help lines for every command."""
    return [CommandHelp(spec.name, spec.usage, spec.summary) for spec in COMMANDS]


def register(app: App) -> None:
    """Attach every listener to `app`. The catch-all for unknown commands goes last."""
    for spec in COMMANDS:
        app.command(spec.name)(spec.handler)
    app.command(re.compile(r"^/.*"))(unknown_command.handle_unknown_command)
