"""Parsing `key=value` slash-command arguments, with answers that help when they are wrong."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field


class ArgumentError(ValueError):
    """Bad command input; the message says what was wrong and what would work."""


@dataclass(frozen=True)
class ParsedArgs:
    """`words` are bare words (like `help`), `options` the key=value pairs."""

    words: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


def suggest(value: str, choices: Iterable[str]) -> str:
    """` — did you mean X?` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(value.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    return f" — did you mean {close[0]}?" if close else ""


def parse_args(
    text: str, *, keys: Iterable[str], words: Iterable[str] = ("help",), command: str
) -> ParsedArgs:
    """Split `text` into words and key=value options, rejecting anything unknown.

    Args:
        text: what the user typed after the command.
        keys: the option keys this command accepts.
        words: the bare words this command accepts.
        command: the command name, for messages.
    """
    allowed_keys = list(keys)
    allowed_words = list(words)
    try:
        tokens = shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError:
        raise ArgumentError(f"Unbalanced quotes in `{command} {text}`.") from None
    parsed = ParsedArgs()
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep:
            key = key.strip().lower()
            if key not in allowed_keys:
                raise ArgumentError(
                    f'Unknown option "{key}"{suggest(key, allowed_keys) or "."} '
                    f"`{command}` accepts: {_listing(allowed_keys, '=…')}."
                )
            if not value:
                raise ArgumentError(f'Option "{key}" needs a value, like `{key}=…`.')
            if key in parsed.options:
                raise ArgumentError(f'Option "{key}" is given twice.')
            parsed.options[key] = value
        elif token.lower() in allowed_words:
            parsed.words.append(token.lower())
        else:
            choices = allowed_words + [f"{k}=" for k in allowed_keys]
            raise ArgumentError(
                f'Unknown argument "{token}"{suggest(token, allowed_words + allowed_keys) or "."} '
                f"`{command}` accepts: {_listing(choices)}."
            )
    return parsed


def _listing(items: list[str], suffix: str = "") -> str:
    return ", ".join(f"`{item}{suffix}`" for item in items) if items else "no arguments"
