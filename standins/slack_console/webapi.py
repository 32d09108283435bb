"""The Slack Web API methods the console implements (``{base}/api/<method>``)."""

from __future__ import annotations

import json
from typing import Any

from .state import APP_ID, BOT_ID, BOT_NAME, BOT_USER_ID, ConsoleState

Args = dict[str, Any]
Result = dict[str, Any]

JSON_FIELDS = ("blocks", "attachments", "files", "view", "metadata")


class ApiError(Exception):
    """Raised by a method to answer ``{"ok": false, "error": <code>}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def decode_json_fields(args: Args) -> Args:
    """Decode fields that form-encoded callers send as JSON strings (blocks, view, ...)."""
    out = dict(args)
    for key in JSON_FIELDS:
        value = out.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                out[key] = json.loads(value)
            except ValueError as exc:
                raise ApiError(f"invalid_{key}") from exc
    return out


def resolve_channel_arg(state: ConsoleState, args: Args, key: str = "channel") -> str:
    """The channel id named by ``args[key]``, or ApiError channel_not_found."""
    cid = state.resolve_channel(args.get(key))
    if cid is None:
        raise ApiError("channel_not_found")
    return cid


def _blocks(args: Args) -> list[dict[str, Any]] | None:
    blocks = args.get("blocks")
    if blocks is None or blocks == "":
        return None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
        raise ApiError("invalid_blocks")
    return blocks


def _text_or_blocks(args: Args) -> tuple[str, list[dict[str, Any]] | None]:
    text = args.get("text")
    blocks = _blocks(args)
    if not text and not blocks and not args.get("attachments"):
        raise ApiError("no_text")
    return str(text or ""), blocks


# ----------------------------------------------------------------- methods
def auth_test(state: ConsoleState, args: Args) -> Result:
    """auth.test: who the token belongs to."""
    return {
        "ok": True,
        "url": state.base_url + "/",
        "team": state.team_name,
        "user": BOT_NAME,
        "team_id": state.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "is_enterprise_install": False,
    }


def chat_post_message(state: ConsoleState, args: Args) -> Result:
    """chat.postMessage: a bot message in a channel (or DM when given a user id)."""
    cid = resolve_channel_arg(state, args)
    text, blocks = _text_or_blocks(args)
    thread_ts = args.get("thread_ts") or None
    msg = state.add_message(
        channel=cid,
        user=BOT_USER_ID,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        attachments=args.get("attachments") if isinstance(args.get("attachments"), list) else None,
        metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
    )
    return {"ok": True, "channel": cid, "ts": msg["ts"], "message": state.slack_message(msg)}


def chat_post_ephemeral(state: ConsoleState, args: Args) -> Result:
    """chat.postEphemeral: a message only ``user`` sees."""
    cid = resolve_channel_arg(state, args)
    user = args.get("user")
    if user not in state.users or not state.visible_to(cid, user):
        raise ApiError("user_not_in_channel")
    text, blocks = _text_or_blocks(args)
    msg = state.add_message(
        channel=cid,
        user=BOT_USER_ID,
        text=text,
        blocks=blocks,
        ephemeral_to=user,
        thread_ts=args.get("thread_ts") or None,
    )
    return {"ok": True, "message_ts": msg["ts"]}


def chat_update(state: ConsoleState, args: Args) -> Result:
    """chat.update: replace text/blocks of a bot message found by channel + ts."""
    cid = resolve_channel_arg(state, args)
    msg = state.find_by_ts(cid, str(args.get("ts", "")))
    if msg is None:
        raise ApiError("message_not_found")
    if msg["user"] != BOT_USER_ID:
        raise ApiError("cant_update_message")
    text = args.get("text")
    blocks = _blocks(args)
    if text is None and blocks is None:
        raise ApiError("no_text")
    state.replace_content(msg, text=None if text is None else str(text), blocks=blocks)
    return {
        "ok": True,
        "channel": cid,
        "ts": msg["ts"],
        "text": msg["text"],
        "message": state.slack_message(msg),
    }


def chat_delete(state: ConsoleState, args: Args) -> Result:
    """chat.delete: remove a bot message found by channel + ts."""
    cid = resolve_channel_arg(state, args)
    msg = state.find_by_ts(cid, str(args.get("ts", "")))
    if msg is None:
        raise ApiError("message_not_found")
    if msg["user"] != BOT_USER_ID:
        raise ApiError("cant_delete_message")
    state.delete_message(msg)
    return {"ok": True, "channel": cid, "ts": msg["ts"]}


def users_info(state: ConsoleState, args: Args) -> Result:
    """users.info."""
    uid = args.get("user")
    if uid != BOT_USER_ID and uid not in state.users:
        raise ApiError("user_not_found")
    return {"ok": True, "user": state.user_object(str(uid))}


def users_lookup_by_email(state: ConsoleState, args: Args) -> Result:
    """users.lookupByEmail (``users_not_found`` when unknown)."""
    email = str(args.get("email", "")).strip().lower()
    for uid, info in state.users.items():
        if email and info.get("email", "").lower() == email:
            return {"ok": True, "user": state.user_object(uid)}
    raise ApiError("users_not_found")


def users_list(state: ConsoleState, args: Args) -> Result:
    """users.list (single page)."""
    members = [state.user_object(uid) for uid in [*state.users, BOT_USER_ID]]
    return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}


def conversations_info(state: ConsoleState, args: Args) -> Result:
    """conversations.info."""
    cid = args.get("channel")
    if cid not in state.channels:
        raise ApiError("channel_not_found")
    return {"ok": True, "channel": state.channel_object(str(cid))}


def conversations_list(state: ConsoleState, args: Args) -> Result:
    """conversations.list (single page; ``types`` may include ``im``)."""
    types = str(args.get("types") or "public_channel").split(",")
    wanted = [
        cid
        for cid, ch in state.channels.items()
        if ("im" if ch["is_im"] else "public_channel") in types
    ]
    chans = [state.channel_object(cid) for cid in wanted]
    return {"ok": True, "channels": chans, "response_metadata": {"next_cursor": ""}}


def conversations_join(state: ConsoleState, args: Args) -> Result:
    """conversations.join: the bot joins a public channel."""
    cid = args.get("channel")
    if cid not in state.channels or state.channels[str(cid)]["is_im"]:
        raise ApiError("channel_not_found")
    state.bot_channels.add(str(cid))
    state.bump()
    return {"ok": True, "channel": state.channel_object(str(cid))}


def conversations_members(state: ConsoleState, args: Args) -> Result:
    """conversations.members."""
    cid = args.get("channel")
    if cid not in state.channels:
        raise ApiError("channel_not_found")
    return {
        "ok": True,
        "members": state.members(str(cid)),
        "response_metadata": {"next_cursor": ""},
    }


def conversations_open(state: ConsoleState, args: Args) -> Result:
    """conversations.open: the bot's DM with one user."""
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if len(users) != 1 or users[0] not in state.users:
        raise ApiError("user_not_found")
    return {"ok": True, "channel": {"id": state.open_dm(users[0])}}


def conversations_history(state: ConsoleState, args: Args) -> Result:
    """conversations.history: a channel's messages, newest first (single page)."""
    cid = args.get("channel")
    if cid not in state.channels:
        raise ApiError("channel_not_found")
    try:
        limit = max(1, min(1000, int(args.get("limit") or 100)))
    except (TypeError, ValueError) as exc:
        raise ApiError("invalid_limit") from exc
    found = [
        state.slack_message(msg)
        for msg in reversed(state.messages)
        if msg["channel"] == cid and msg["ephemeral_to"] is None and not msg["thread_ts"]
    ]
    return {
        "ok": True,
        "messages": found[:limit],
        "has_more": len(found) > limit,
        "response_metadata": {"next_cursor": ""},
    }
