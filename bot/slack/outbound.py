"""The one place the bot calls the Slack Web API.

Handlers, jobs and the outbox worker ask an `Outbound` to post, update or delete a message,
upload a file, open a DM, look a user up or show a view; nothing else imports a Slack
client's methods. Errors come back as `SlackFailure` with the Slack error code, whether it
is worth retrying, and the `Retry-After` of a 429.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.settings import Settings
from bot.slack_client import make_web_client as _counting_client

log = logging.getLogger(__name__)

#: Slack errors a later attempt may get past (anything else is permanent for that message).
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "timeout",
        "team_added_to_org",
        "connection_error",
    }
)
#: The metadata event type the bot tags its messages with (to find one after a crash).
METADATA_EVENT = "finops_bot_outbox"


@dataclass(frozen=True)
class SlackFailure(Exception):
    """A Web API call that did not work: `error` is Slack's code (or `connection_error`)."""

    method: str
    error: str
    retry_after: float | None = None
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.method}: {self.error}"

    @property
    def rate_limited(self) -> bool:
        """Slack answered 429 (or `ratelimited`)."""
        return self.status == 429 or self.error == "ratelimited"

    @property
    def transient(self) -> bool:
        """Worth trying again later."""
        return self.rate_limited or self.error in TRANSIENT_ERRORS or (self.status or 0) >= 500


@dataclass(frozen=True)
class Posted:
    """Where a message landed."""

    channel: str
    ts: str


def make_web_client(settings: Settings) -> WebClient:
    """The outbound module's WebClient: counted, and without automatic retries (the outbox
    honours Retry-After; a repeated post after a lost answer would be a duplicate)."""
    return _counting_client(settings, rate_limit_retries=False)


def _failure(method: str, exc: Exception) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", None)
        error = str(response.get("error") or (f"http_{status}" if status else "error"))
        headers = getattr(response, "headers", {}) or {}
        retry = headers.get("Retry-After") or headers.get("retry-after")
        try:
            retry_after = float(retry) if retry is not None else None
        except ValueError:
            retry_after = None
        if status == 429 and retry_after is None:
            retry_after = 1.0
        return SlackFailure(method, error, retry_after, status)
    return SlackFailure(method, "connection_error")


class Outbound:
    """Every Web API call the bot makes, on one client."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, call: Callable[..., Any], **args: Any) -> Any:
        """`call(**args)`, with Slack's and the network's errors as SlackFailure."""
        try:
            return call(**args)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise _failure(method, exc) from exc

    # ------------------------------------------------------------- messages
    def post(
        self, channel: str, message: dict[str, Any], *, dedupe_key: str | None = None
    ) -> Posted:
        """chat.postMessage to a channel (or a user id: their DM with the bot)."""
        args = dict(message)
        if dedupe_key:
            args["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"dedupe_key": dedupe_key},
            }
        answer = self._call(
            "chat.postMessage", self.client.chat_postMessage, channel=channel, **args
        )
        return Posted(str(answer.get("channel") or channel), str(answer["ts"]))

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        """chat.update of a message the bot posted."""
        self._call("chat.update", self.client.chat_update, channel=channel, ts=ts, **message)

    def delete(self, channel: str, ts: str) -> None:
        """chat.delete of a message the bot posted."""
        self._call("chat.delete", self.client.chat_delete, channel=channel, ts=ts)

    def ephemeral(self, channel: str, user: str, message: dict[str, Any]) -> None:
        """chat.postEphemeral: a message only `user` sees in `channel`."""
        self._call(
            "chat.postEphemeral",
            self.client.chat_postEphemeral,
            channel=channel,
            user=user,
            **message,
        )

    def find_posted(self, channel: str, dedupe_key: str, *, limit: int = 100) -> str | None:
        """The ts of a recent bot message in `channel` tagged with `dedupe_key`, if any
        (how a delivery interrupted after Slack accepted it is recognised)."""
        answer = self._call(
            "conversations.history",
            self.client.conversations_history,
            channel=channel,
            limit=limit,
            include_all_metadata=True,
        )
        for message in answer.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and (
                payload.get("dedupe_key") == dedupe_key
            ):
                return str(message["ts"])
        return None

    # ------------------------------------------------------------- files
    def upload_file(
        self,
        *,
        content: bytes | str,
        filename: str,
        title: str,
        channel: str | None = None,
        comment: str | None = None,
    ) -> str | None:
        """files upload v2, shared to `channel` (None: to no channel, for an image block);
        the file id (None when Slack gave none)."""
        extra: dict[str, Any] = {"alt_txt": title} if channel is None else {"channel": channel}
        if comment:
            extra["initial_comment"] = comment
        result = self._call(
            "files.uploadV2",
            self.client.files_upload_v2,
            content=content,
            filename=filename,
            title=title,
            **extra,
        )
        file = result.get("file") or (result.get("files") or [{}])[0]
        return str(file["id"]) if file.get("id") else None

    # ------------------------------------------------------------- people
    def open_dm(self, user: str) -> str:
        """conversations.open: the id of the bot's DM channel with `user`."""
        answer = self._call("conversations.open", self.client.conversations_open, users=user)
        return str(answer["channel"]["id"])

    def lookup_email(self, email: str) -> str | None:
        """users.lookupByEmail: the Slack user id for `email` (None when unknown, or when
        Slack could not say)."""
        try:
            return self.lookup_email_strict(email)
        except SlackFailure as exc:
            log.info("no Slack user for %s: %s", email, exc.error)
            return None

    def lookup_email_strict(self, email: str) -> str | None:
        """users.lookupByEmail: None only when Slack knows no such user; SlackFailure when
        it could not answer (429, outage), so a message is not drawn without its people."""
        try:
            answer = self._call("users.lookupByEmail", self.client.users_lookupByEmail, email=email)
            return str(answer["user"]["id"])
        except SlackFailure as exc:
            if exc.transient:
                raise
            log.info("no Slack user for %s: %s", email, exc.error)
            return None

    def user_name(self, user: str) -> str | None:
        """users.info: the user's display name (real name first); None when Slack does
        not say (unknown user, missing scope, outage)."""
        try:
            info = self._call("users.info", self.client.users_info, user=user)["user"]
        except SlackFailure as exc:
            log.info("no name for %s from Slack: %s", user, exc.error)
            return None
        profile = info.get("profile") or {}
        name = profile.get("real_name") or info.get("real_name") or info.get("name")
        return str(name) if name else None

    # ------------------------------------------------------------- views
    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.open: a modal for the click behind `trigger_id`."""
        answer = self._call("views.open", self.client.views_open, trigger_id=trigger_id, view=view)
        return dict(answer.data)

    def views_update(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.update of an open modal."""
        answer = self._call("views.update", self.client.views_update, view_id=view_id, view=view)
        return dict(answer.data)

    def views_publish(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.publish: `user`'s App Home tab."""
        answer = self._call("views.publish", self.client.views_publish, user_id=user, view=view)
        return dict(answer.data)


_GUARD = threading.Lock()


def outbound_for(services: Any) -> Outbound:
    """The services' Outbound, made on first use from their settings."""
    with _GUARD:
        found: Outbound | None = services.__dict__.get("_outbound")
        if found is None:
            found = Outbound(make_web_client(services.settings))
            services.__dict__["_outbound"] = found
        return found


def use_outbound(services: Any, outbound: Outbound) -> None:
    """Make `outbound` the services' Outbound (the app's client, or a test's)."""
    with _GUARD:
        services.__dict__["_outbound"] = outbound


def adopt(services: Any, client: Any) -> Outbound:
    """The services' Outbound, switched to `client` when one is given (a job handed a
    WebClient or an Outbound by its caller), so the outbox worker uses it too."""
    if isinstance(client, Outbound):
        use_outbound(services, client)
        return client
    if isinstance(client, WebClient):
        current = services.__dict__.get("_outbound")
        if current is None or current.client is not client:
            use_outbound(services, Outbound(client))
    return outbound_for(services)
