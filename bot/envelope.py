"""The shape of a verified Slack request, checked before Bolt reads it.

Bolt assumes Slack's shapes (`user` is an object with an `id`, `actions` a non-empty list
of objects, ...); a signed but malformed body would raise deep inside it. Each kind of
request this bot handles is a small pydantic model here; a body that fits none of them is
acknowledged, logged in one line, and goes no further.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Short = Annotated[str, Field(max_length=255)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class _User(_Shape):
    id: Id


class _Named(_Shape):
    id: Id | None = None


class SlashCommand(_Shape):
    """A slash command (form fields)."""

    command: Annotated[str, Field(pattern=r"^/[^\s]{1,80}$")]
    user_id: Id
    channel_id: Id | None = None
    text: Annotated[str, Field(max_length=4000)] = ""
    response_url: Annotated[str, Field(max_length=1000)] | None = None
    trigger_id: Short | None = None


class _Action(_Shape):
    action_id: Annotated[str, Field(min_length=1, max_length=255)]
    block_id: Short | None = None
    value: Annotated[str, Field(max_length=2000)] | None = None


class _Container(_Shape):
    type: Short | None = None


class BlockActions(_Shape):
    """A button click."""

    type: Literal["block_actions"]
    user: _User
    actions: list[_Action] = Field(min_length=1, max_length=5)
    response_url: Annotated[str, Field(max_length=1000)] | None = None
    team: _Named | None = None
    channel: _Named | None = None
    container: _Container | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    trigger_id: Short | None = None


class _View(_Shape):
    id: Id | None = None
    type: Short  # Bolt reads view.type to tell workflow steps from modals
    callback_id: Short = ""
    private_metadata: Annotated[str, Field(max_length=3000)] = ""
    state: dict[str, Any] | None = None


class ViewPayload(_Shape):
    """A modal submitted or closed."""

    type: Literal["view_submission", "view_closed"]
    user: _User
    view: _View
    team: _Named | None = None
    response_urls: list[dict[str, Any]] | None = None


class _Event(_Shape):
    type: Annotated[str, Field(min_length=1, max_length=64)]
    user: Annotated[str, Field(max_length=64)] | None = None


class EventCallback(_Shape):
    """An Events API delivery."""

    type: Literal["event_callback"]
    event: _Event
    team_id: Id | None = None
    event_id: Short | None = None


class UrlVerification(_Shape):
    """Slack's check of the Request URL."""

    type: Literal["url_verification"]
    challenge: Annotated[str, Field(max_length=500)]


_BY_TYPE: dict[str, type[_Shape]] = {
    "block_actions": BlockActions,
    "view_submission": ViewPayload,
    "view_closed": ViewPayload,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}


def shape_problem(parsed: dict[str, Any], *, url_allowed: Callable[[Any], bool]) -> str | None:
    """Why this body is not a request the bot handles (None: Bolt may have it). A
    response URL must be Slack's own (`url_allowed`): the bot never posts anywhere else."""
    if "ssl_check" in parsed and "command" not in parsed:
        return None
    kind = parsed.get("type")
    model: type[_Shape] | None
    if "command" in parsed and kind is None:
        model = SlashCommand
    else:
        model = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if model is None:
        return f"unsupported request type {str(kind)[:40]!r}"
    try:
        model.model_validate(parsed)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ())) or "body"
        return f"{model.__name__}: {where}: {error.get('msg', 'invalid')}"
    urls = [parsed.get("response_url")] + [
        u.get("response_url") for u in parsed.get("response_urls") or [] if isinstance(u, dict)
    ]
    for url in urls:
        if url is not None and not url_allowed(url):
            return f"response_url on a host that is not Slack's: {str(url)[:80]!r}"
    return None
