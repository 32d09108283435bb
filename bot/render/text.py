"""Text that goes into Slack mrkdwn: escaping, code spans and mentions, in one place.

Anything that does not come from the bot itself (tag keys and values, resource names and
ids, team names read from tags, AWS error messages, what a user typed) goes through `esc()`
or `code()` before it is put into mrkdwn, so `<!channel>`, `<@U…>`, `<https://…|…>` in a
value show as text. Mentions the bot means to make are built by `mention_user()` and
`mention_channel()` from ids it resolved itself.

As a second line of defence, `section()`/`context()` in `bot.render.common` pass their
text through `neutralize()`, which escapes every `<…>` the bot never writes on purpose
(special mentions, user groups, links), so a renderer that forgets `esc()` still cannot
ping a channel or plant a link.
"""

from __future__ import annotations

import re

#: What Slack's mrkdwn needs escaped (Slack: "Escaping text").
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))

#: A backtick ends a code span and mrkdwn has no escape for it: it is shown as a look-alike.
BACKTICK_STANDIN = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
#: The only `<…>` the bot writes on purpose: a user or channel mention by id.
_OWN_MARKUP = re.compile(r"<(?:@[UW][A-Z0-9]{2,}|#[CGD][A-Z0-9]{2,})>")
_ANY_MARKUP = re.compile(r"<[^<>]*>?")


def esc(value: object) -> str:
    """`value` as text that mrkdwn shows literally (`&`, `<`, `>` escaped)."""
    text = str(value)
    for raw, entity in _ESCAPES:
        text = text.replace(raw, entity)
    return text


def unesc(text: str) -> str:
    """The reverse of `esc()` (for plain_text fields built from mrkdwn-safe text)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code(value: object) -> str:
    """`value` in a code span that nothing in it can break out of."""
    text = esc(value).replace("`", BACKTICK_STANDIN).replace("\n", " ")
    return f"`{text}`" if text else "``"


def mention_user(user_id: str | None) -> str:
    """`<@U…>` for a Slack user id the bot resolved itself; anything else as escaped text."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return esc(user_id) if user_id else "—"


def mention_channel(channel_id: str | None) -> str:
    """`<#C…>` for a channel id the bot knows; anything else as escaped text."""
    if channel_id and _CHANNEL_ID.match(channel_id):
        return f"<#{channel_id}>"
    return esc(channel_id) if channel_id else "—"


def tag_value(value: str | None, *, resolved_user: str | None = None) -> str:
    """A value read from a tag (an owner, a team): a mention only if it resolved to a
    real Slack user (`resolved_user`), otherwise the escaped text, or "—"."""
    if resolved_user:
        return mention_user(resolved_user)
    return esc(value) if value else "—"


def neutralize(text: str) -> str:
    """mrkdwn with every `<…>` escaped except the bot's own user/channel mentions."""

    def fix(match: re.Match[str]) -> str:
        found = match.group(0)
        return found if _OWN_MARKUP.fullmatch(found) else esc(found)

    return _ANY_MARKUP.sub(fix, text)
