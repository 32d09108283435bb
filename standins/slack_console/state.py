"""In-memory workspace of the Slack console: channels, users, messages, files.

Everything lives in one :class:`ConsoleState` guarded by a re-entrant lock; callers
take ``state.lock`` around compound read-modify-write sequences.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0CONSOLE"
BOT_NAME = "finops-bot"
VERIFICATION_TOKEN = "console-verification-token"

DEFAULT_CHANNELS = {"C0GENERAL": "general"}
DEFAULT_USERS = {"U0LOCAL": {"name": "local.user", "email": "local.user@example.com"}}


@dataclass
class ResponseTarget:
    """Where a ``response_url`` posts to: the issuing user, the channel, the source message."""

    user_id: str
    channel_id: str
    message_id: str | None = None
    uses: int = 0
    #: The last message this response_url posted (a slash command's `replace_original`
    #: replaces it, as Slack does).
    posted_id: str | None = None


class ConsoleState:
    """The console's workspace. All mutating methods must be called with ``lock`` held."""

    def __init__(
        self,
        *,
        channels: dict[str, str] | None,
        users: dict[str, dict[str, str]] | None,
        team_id: str,
    ) -> None:
        self.lock = threading.RLock()
        self.team_id = team_id
        self.team_name = "Local Console"
        self.base_url = ""
        self.users: dict[str, dict[str, str]] = {
            uid: dict(info) for uid, info in (users if users is not None else DEFAULT_USERS).items()
        }
        self.channels: dict[str, dict[str, Any]] = {}
        for cid, name in (channels if channels is not None else DEFAULT_CHANNELS).items():
            self.channels[cid] = {"id": cid, "name": name, "is_im": False, "user": None}
        self.bot_channels: set[str] = set()  # channels the bot joined
        self.messages: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.file_meta: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, ResponseTarget] = {}
        self.triggers: set[str] = set()
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.trigger_users: dict[str, str] = {}  # trigger_id -> the user it was issued for
        self.open_modals: dict[str, list[str]] = {}  # user -> stack of open modal view ids
        self.view_errors: dict[str, dict[str, str]] = {}  # view id -> block_id -> error
        self.calls: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []
        self.faults: list[Any] = []  # faults.Fault: injected 429s and errors
        self.last_delivery: dict[str, Any] | None = None
        self.version = 0
        self._last_us = 0
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- ids
    def next_ts(self) -> str:
        """A Slack-style message timestamp, unique and strictly increasing."""
        with self.lock:
            us = max(int(time.time() * 1_000_000), self._last_us + 1)
            self._last_us = us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        """A fresh console-unique identifier such as ``M000012`` or ``F000003``."""
        with self.lock:
            return f"{prefix}{next(self._ids):06d}"

    def bump(self) -> None:
        """Mark the state as changed so the page re-renders."""
        with self.lock:
            self.version += 1

    # ------------------------------------------------------------ lookups
    def user_name(self, user_id: str) -> str:
        """Display name of a user (or the bot)."""
        if user_id == BOT_USER_ID:
            return BOT_NAME
        return self.users.get(user_id, {}).get("name", user_id)

    def resolve_channel(self, ref: str | None) -> str | None:
        """Channel id for an id, ``#name``, plain name or user id (opens a DM)."""
        if not ref:
            return None
        if ref in self.channels:
            return ref
        if ref in self.users:
            return self.open_dm(ref)
        name = ref.lstrip("#")
        for cid, ch in self.channels.items():
            if ch["name"] == name and not ch["is_im"]:
                return cid
        return None

    def open_dm(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id``, creating it on first use."""
        with self.lock:
            cid = "D" + user_id[1:]
            if cid not in self.channels:
                self.channels[cid] = {
                    "id": cid,
                    "name": self.user_name(user_id),
                    "is_im": True,
                    "user": user_id,
                }
                self.bump()
            return cid

    def visible_to(self, channel_id: str, user_id: str) -> bool:
        """Whether a user can see a channel (DMs only by their user)."""
        ch = self.channels.get(channel_id)
        if ch is None:
            return False
        return not ch["is_im"] or ch["user"] == user_id

    def members(self, channel_id: str) -> list[str]:
        """Members of a channel: every user (or the DM's user) plus the bot once joined."""
        ch = self.channels[channel_id]
        if ch["is_im"]:
            return [ch["user"], BOT_USER_ID]
        members = list(self.users)
        if channel_id in self.bot_channels:
            members.append(BOT_USER_ID)
        return members

    def find_message(self, message_id: str) -> dict[str, Any] | None:
        """The stored message with this console id."""
        for msg in self.messages:
            if msg["id"] == message_id:
                return msg
        return None

    def find_by_ts(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """The (non-ephemeral) channel message with this ts."""
        for msg in self.messages:
            if msg["channel"] == channel_id and msg["ts"] == ts and msg["ephemeral_to"] is None:
                return msg
        return None

    # ----------------------------------------------------------- mutation
    def add_message(
        self,
        *,
        channel: str,
        user: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        ephemeral_to: str | None = None,
        files: list[str] | None = None,
        thread_ts: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a new message and return it (the stored dict itself)."""
        with self.lock:
            msg: dict[str, Any] = {
                "id": self.new_id("M"),
                "ts": self.next_ts(),
                "channel": channel,
                "user": user,
                "text": text or "",
                "blocks": normalize_blocks(blocks, self),
                "attachments": attachments or [],
                "ephemeral_to": ephemeral_to,
                "files": list(files or []),
                "thread_ts": thread_ts,
                "edited": False,
                "metadata": metadata,
            }
            self.messages.append(msg)
            self.bump()
            return msg

    def replace_content(
        self, msg: dict[str, Any], *, text: str | None, blocks: list[dict[str, Any]] | None
    ) -> None:
        """Replace a message's text and blocks in place (chat.update / replace_original)."""
        with self.lock:
            if text is not None:
                msg["text"] = text
            if blocks is not None:
                msg["blocks"] = normalize_blocks(blocks, self)
            msg["edited"] = True
            self.bump()

    def delete_message(self, msg: dict[str, Any]) -> None:
        """Remove a message."""
        with self.lock:
            self.messages = [m for m in self.messages if m["id"] != msg["id"]]
            self.bump()

    def add_notice(self, *, channel: str, user: str, text: str) -> None:
        """An error line shown to ``user`` in ``channel`` (like Slack's dispatch_failed)."""
        with self.lock:
            self.notices.append(
                {
                    "id": self.new_id("N"),
                    "ts": self.next_ts(),
                    "channel": channel,
                    "user": user,
                    "text": text,
                }
            )
            self.bump()

    # ------------------------------------------------------------ shapes
    def slack_message(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The message as the Slack API shows it (no console-only fields)."""
        out: dict[str, Any] = {
            "type": "message",
            "text": msg["text"],
            "user": msg["user"],
            "ts": msg["ts"],
            "team": self.team_id,
            "blocks": copy.deepcopy(msg["blocks"]),
        }
        if msg["user"] == BOT_USER_ID:
            out.update(bot_id=BOT_ID, app_id=APP_ID)
        if msg["attachments"]:
            out["attachments"] = copy.deepcopy(msg["attachments"])
        if msg["files"]:
            out["files"] = [self.file_object(fid) for fid in msg["files"]]
        if msg["thread_ts"]:
            out["thread_ts"] = msg["thread_ts"]
        if msg.get("metadata"):
            out["metadata"] = copy.deepcopy(msg["metadata"])
        return out

    def user_object(self, user_id: str) -> dict[str, Any]:
        """A Slack ``user`` object."""
        if user_id == BOT_USER_ID:
            name, email, is_bot = BOT_NAME, "", True
        else:
            info = self.users[user_id]
            name, email, is_bot = info.get("name", user_id), info.get("email", ""), False
        profile: dict[str, Any] = {"real_name": name, "display_name": name, "email": email}
        if is_bot:
            profile["bot_id"] = BOT_ID
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "tz": "UTC",
            "profile": profile,
        }

    def channel_object(self, channel_id: str) -> dict[str, Any]:
        """A Slack ``conversation`` object."""
        ch = self.channels[channel_id]
        if ch["is_im"]:
            return {
                "id": channel_id,
                "is_im": True,
                "is_channel": False,
                "is_private": True,
                "user": ch["user"],
                "is_open": True,
                "created": 1700000000,
            }
        return {
            "id": channel_id,
            "name": ch["name"],
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_private": False,
            "is_archived": False,
            "is_member": channel_id in self.bot_channels,
            "created": 1700000000,
            "num_members": len(self.members(channel_id)),
        }

    def file_object(self, file_id: str) -> dict[str, Any]:
        """A Slack ``file`` object for an uploaded file."""
        return copy.deepcopy(self.file_meta[file_id])


def normalize_blocks(
    blocks: list[dict[str, Any]] | None, state: ConsoleState
) -> list[dict[str, Any]]:
    """Copy blocks, filling in ``block_id`` and button ``action_id`` the way Slack does."""
    out = copy.deepcopy(blocks or [])
    for block in out:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", state.new_id("b"))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                element.setdefault("action_id", state.new_id("a"))
    return out


def find_button(
    msg: dict[str, Any], action_id: str, block_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (block, button) pair in a message matching action_id (and block_id if given)."""
    for block in msg["blocks"]:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return block, element
    return None
