"""Block Kit for help and error answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.render.text import neutralize, unesc

Blocks = list[dict[str, Any]]

#: Slack limits worth respecting everywhere (Block Kit reference).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


@dataclass(frozen=True)
class CommandHelp:
    """What `/finops help` says about one command."""

    name: str
    usage: str
    summary: str


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis when needed."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> dict[str, Any]:
    """A header block. `text` is mrkdwn-safe (values passed through `esc()`, like a message's `text`
    fallback); a header is plain_text, so the escapes are undone here."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(unesc(text), MAX_HEADER_TEXT)},
    }


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block (any `<…>` but the bot's own mentions is shown as text)."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(neutralize(text), MAX_SECTION_TEXT)},
    }


def context(text: str) -> dict[str, Any]:
    """A context block with one mrkdwn element (neutralized like `section`)."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(neutralize(text), 2000)}],
    }


def fallback(text: str) -> str:
    """A message's top-level `text` (notifications, screen readers), neutralized."""
    return truncate(neutralize(text), 3000)


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A plain_text object (button labels, modal titles): shown exactly as given."""
    return {"type": "plain_text", "text": truncate(text, limit)}


def help_message(commands: Sequence[CommandHelp]) -> dict[str, Any]:
    """The answer to `/finops help`: every command with its usage."""
    lines = [f"*{c.name}* — {c.summary}\n`{c.usage}`" for c in commands]
    blocks: Blocks = [
        header("finops-bot: AWS spend, waste and cleanup in Slack"),
        section("\n\n".join(lines)),
        context("Every command also answers `help`. Cleanups only run after an owner approves."),
    ]
    return {"text": "finops-bot commands", "blocks": blocks}


def error_message(problem: str, *, hint: str | None = None) -> dict[str, Any]:
    """An ephemeral answer to bad input or a failure: what went wrong and what would work."""
    blocks: Blocks = [section(f":warning: {problem}")]
    if hint:
        blocks.append(context(hint))
    return {"text": fallback(problem), "blocks": blocks}


def confirm_dialog(title: str, text: str, *, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    """A Block Kit confirm dialog for a destructive button (`text` is mrkdwn, neutralized)."""
    return {
        "title": plain(title, 100),
        "text": {"type": "mrkdwn", "text": truncate(neutralize(text), 300)},
        "confirm": plain(confirm, 30),
        "deny": plain(deny, 30),
        "style": "danger",
    }
