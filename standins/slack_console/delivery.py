"""Signed delivery of slash commands and clicks to the bot, and response_url handling."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .state import APP_ID, BOT_USER_ID, VERIFICATION_TOKEN, ConsoleState, ResponseTarget

MAX_RESPONSE_URL_USES = 5  # Slack allows five posts per response_url


@dataclass
class Delivery:
    """What the bot answered to a command/click HTTP post (status 0: no answer at all)."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # Slack's wording when it failed: dispatch_failed / operation_timeout

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (None when empty or not JSON)."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{ts}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post_signed(url: str, fields: dict[str, str], secret: str, timeout: float) -> Delivery:
    """POST form fields to the bot with Slack's signature headers."""
    body = urllib.parse.urlencode(fields).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    try:
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Delivery(
                resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers.items())
            )
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        return Delivery(err.code, text, dict(err.headers.items()), error="dispatch_failed")
    except TimeoutError:
        return Delivery(0, "", {}, error="operation_timeout")
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            return Delivery(0, "", {}, error="operation_timeout")
        return Delivery(0, str(err.reason), {}, error="dispatch_failed")
    except (OSError, ValueError) as err:  # ValueError: no usable bot_url
        return Delivery(0, str(err), {}, error="dispatch_failed")


def command_fields(
    state: ConsoleState,
    *,
    user_id: str,
    channel_id: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields Slack sends for a slash command."""
    ch = state.channels[channel_id]
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": state.team_id,
        "team_domain": "local-console",
        "channel_id": channel_id,
        "channel_name": "directmessage" if ch["is_im"] else ch["name"],
        "user_id": user_id,
        "user_name": state.user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions_payload(
    state: ConsoleState,
    *,
    user_id: str,
    msg: dict[str, Any],
    block: dict[str, Any],
    button: dict[str, Any],
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends for a button click."""
    ch = state.channels[msg["channel"]]
    is_ephemeral = msg["ephemeral_to"] is not None
    action: dict[str, Any] = {
        "action_id": button["action_id"],
        "block_id": block["block_id"],
        "text": button.get("text", {"type": "plain_text", "text": ""}),
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("value", "style", "url"):
        if key in button:
            action[key] = button[key]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": state.user_name(user_id),
            "name": state.user_name(user_id),
            "team_id": state.team_id,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": msg["ts"],
            "channel_id": msg["channel"],
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": state.team_id, "domain": "local-console"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": msg["channel"], "name": "directmessage" if ch["is_im"] else ch["name"]},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if not is_ephemeral:  # like Slack: no "message" for clicks on ephemeral messages
        payload["message"] = state.slack_message(msg)
    return payload


def apply_response(state: ConsoleState, target: ResponseTarget, body: dict[str, Any]) -> str | None:
    """Apply a response_url (or ack-body) message as Slack does. Returns an error code or None."""
    replace = _flag(body.get("replace_original"))
    delete = _flag(body.get("delete_original"))
    text = body.get("text")
    blocks = body.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks"
    if blocks is not None and not isinstance(blocks, list):
        return "invalid_blocks"
    with state.lock:
        source_id = target.message_id or target.posted_id
        source = state.find_message(source_id) if source_id else None
        if delete:
            if source is not None:
                state.delete_message(source)
            return None
        if not text and not blocks:
            return "no_text"
        if replace and source is not None:
            state.replace_content(source, text=str(text or ""), blocks=blocks or [])
            return None
        in_channel = body.get("response_type") == "in_channel"
        posted = state.add_message(
            channel=target.channel_id,
            user=BOT_USER_ID,
            text=str(text or ""),
            blocks=blocks,
            ephemeral_to=None if in_channel else target.user_id,
            thread_ts=body.get("thread_ts") or None,
        )
        target.posted_id = str(posted["id"])
    return None


def use_response_url(
    state: ConsoleState, response_id: str, body: dict[str, Any]
) -> tuple[int, str]:
    """Handle a POST to ``/response/<id>``: returns (HTTP status, plain-text body)."""
    with state.lock:
        target = state.responses.get(response_id)
        if target is None:
            return 404, "invalid_url"
        if target.uses >= MAX_RESPONSE_URL_USES:
            return 404, "used_url"
        target.uses += 1
        error = apply_response(state, target, body)
    if error:
        return 400, error
    return 200, "ok"


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
