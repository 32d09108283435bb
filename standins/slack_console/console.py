"""``SlackConsole``: the public face of the local Slack stand-in."""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from bot.wsgi_thread import BackgroundServer

from . import surfaces
from .delivery import Delivery, apply_response, block_actions_payload, command_fields, post_signed
from .faults import Fault
from .state import BOT_USER_ID, ConsoleState, ResponseTarget, find_button
from .wsgi import make_app


class SlackConsole:
    """A small HTTP service that stands in for Slack: Web API, response_urls and a web page.

    Thread-safe: the page, the bot's API calls and test code may all use it at once.
    """

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        bot_token: str | None = None,
        channels: dict[str, str] | None = None,
        users: dict[str, dict[str, str]] | None = None,
        team_id: str = "T0LOCAL",
    ) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.delivery_timeout = 3.0  # Slack gives up after three seconds
        self.state = ConsoleState(channels=channels, users=users, team_id=team_id)
        self.base_url = ""
        self._server: BackgroundServer | None = None

    # ------------------------------------------------------------ serving
    @property
    def api_url(self) -> str:
        """Base URL of the Web API, for ``WebClient(base_url=...)`` / SLACK_API_URL."""
        return self.base_url + "/api/"

    @property
    def files(self) -> dict[str, bytes]:
        """Uploaded file contents by file id (a snapshot)."""
        with self.state.lock:
            return dict(self.state.files)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve with waitress in a daemon thread; returns the base URL."""
        if self._server is not None:
            raise RuntimeError("the console is already running")
        self._server = BackgroundServer(
            make_app(self), host=host, port=port, threads=8, name="slack-console"
        )
        self.base_url = self._server.url
        self.state.base_url = self.base_url
        return self.base_url

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> SlackConsole:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------ user actions
    def send_command(self, *, user_id: str, channel_id: str, text: str) -> Delivery:
        """Deliver a slash command line such as ``/cost team=payments`` to the bot."""
        line = text.strip()
        if not line.startswith("/") or len(line) < 2:
            raise ValueError(f"not a slash command: {text!r} (it must start with '/')")
        command, _, rest = line.partition(" ")
        st = self.state
        with st.lock:
            self._check_user_channel(user_id, channel_id)
            target = ResponseTarget(user_id=user_id, channel_id=channel_id)
            fields = command_fields(
                st,
                user_id=user_id,
                channel_id=channel_id,
                command=command,
                text=rest.strip(),
                response_url=self._response_url(target),
                trigger_id=self.new_trigger(user_id),
            )
        delivery = post_signed(self.bot_url, fields, self.signing_secret, self.delivery_timeout)
        self._record(delivery, target, label=command, ack_message=True)
        return delivery

    def click(
        self, *, user_id: str, message_id: str, action_id: str, block_id: str | None = None
    ) -> Delivery:
        """Click a button (found by action_id, and block_id if given) in a stored message."""
        st = self.state
        with st.lock:
            msg = st.find_message(message_id)
            if msg is None:
                raise ValueError(f"no message {message_id!r}")
            self._check_user_channel(user_id, msg["channel"])
            if msg["ephemeral_to"] not in (None, user_id):
                raise ValueError(f"message {message_id} is not visible to {user_id}")
            found = find_button(msg, action_id, block_id)
            if found is None:
                raise ValueError(f"no button {action_id!r} (block {block_id!r}) in {message_id}")
            block, button = found
            target = ResponseTarget(
                user_id=user_id, channel_id=msg["channel"], message_id=message_id
            )
            payload = block_actions_payload(
                st,
                user_id=user_id,
                msg=msg,
                block=block,
                button=button,
                response_url=self._response_url(target),
                trigger_id=self.new_trigger(user_id),
            )
        label = str(button.get("text", {}).get("text") or action_id)
        fields = {"payload": json.dumps(payload)}
        delivery = post_signed(self.bot_url, fields, self.signing_secret, self.delivery_timeout)
        # Slack ignores the body of an ack to block_actions; only response_url counts.
        self._record(delivery, target, label=f"Clicking “{label}”", ack_message=False)
        return delivery

    # ------------------------------------------------------------ faults
    def fail(
        self,
        method: str,
        *,
        channel: str | None = None,
        error: str = "ratelimited",
        retry_after: int = 1,
        status: int | None = None,
        times: int | None = None,
        after: bool = False,
    ) -> Fault:
        """Make matching Web API calls fail (same as ``POST /_console/faults``): 429 with
        Retry-After for ``ratelimited``, else ``{"ok": false, "error": error}``."""
        fault = Fault(
            method=method,
            channel=channel,
            error=error,
            retry_after=retry_after,
            status=status,
            times=times,
            after=after,
        )
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Let every call through again (same as ``DELETE /_console/faults``)."""
        with self.state.lock:
            self.state.faults.clear()

    # ----------------------------------------------------------- queries
    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Channel messages (not ephemerals), oldest first; copies."""
        with self.state.lock:
            cid = self.state.resolve_channel(channel_id)
            if cid is None:
                raise ValueError(f"no channel {channel_id!r}")
            return [
                copy.deepcopy(m)
                for m in self.state.messages
                if m["channel"] == cid and m["ephemeral_to"] is None
            ]

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages visible to ``user_id`` in any channel, oldest first; copies."""
        with self.state.lock:
            return [copy.deepcopy(m) for m in self.state.messages if m["ephemeral_to"] == user_id]

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Web API calls received: ``{"method", "args", "ok", "error"}``, oldest first."""
        with self.state.lock:
            return [
                copy.deepcopy(c)
                for c in self.state.calls
                if method is None or c["method"] == method
            ]

    def notices(self) -> list[dict[str, Any]]:
        """Error lines shown on the page (failed deliveries), oldest first."""
        with self.state.lock:
            return copy.deepcopy(self.state.notices)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll ``predicate`` until it returns something truthy and return that.

        Exceptions from the predicate count as "not yet". On timeout, raise an
        AssertionError describing the last value/exception and recent console activity.
        """
        deadline = time.monotonic() + timeout
        last_value: Any = None
        last_exc: BaseException | None = None
        while True:
            try:
                last_value = predicate()
                last_exc = None
                if last_value:
                    return last_value
            except Exception as exc:
                last_exc = exc
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        raise AssertionError(self._describe_timeout(predicate, timeout, last_value, last_exc))

    # ---------------------------------------------------------- internals
    def _check_user_channel(self, user_id: str, channel_id: str) -> None:
        if user_id not in self.state.users:
            raise ValueError(f"unknown user {user_id!r}; known: {sorted(self.state.users)}")
        if not self.state.visible_to(channel_id, user_id):
            raise ValueError(
                f"unknown channel {channel_id!r} for {user_id}; "
                f"known: {sorted(self.state.channels)}"
            )

    def _response_url(self, target: ResponseTarget) -> str:
        rid = secrets.token_hex(8)
        self.state.responses[rid] = target
        return f"{self.base_url}/response/{rid}"

    def new_trigger(self, user_id: str) -> str:
        """A trigger_id for an interaction of `user_id` (views.open shows the modal to them)."""
        trigger = f"{int(time.time())}.{self.state.new_id('')}.{secrets.token_hex(8)}"
        with self.state.lock:
            self.state.triggers.add(trigger)
            self.state.trigger_users[trigger] = user_id
        return trigger

    # ------------------------------------------------- modals, App Home
    def submit_view(self, *, user_id: str, values: dict[str, str] | None = None) -> Delivery:
        """Submit the modal open for `user_id`, typing `values` (`{block_id: text}`)."""
        return surfaces.submit_view(self, user_id=user_id, values=values or {})

    def close_view(self, *, user_id: str) -> None:
        """Cancel the modal open for `user_id`."""
        surfaces.close_view(self, user_id=user_id)

    def open_home(self, *, user_id: str) -> Delivery:
        """Open the app's Home tab as `user_id` (sends app_home_opened)."""
        return surfaces.open_home(self, user_id=user_id)

    def click_view(self, *, user_id: str, action_id: str, block_id: str | None = None) -> Delivery:
        """Click a button in the modal (or else the Home tab) open for `user_id`."""
        return surfaces.click_view(self, user_id=user_id, action_id=action_id, block_id=block_id)

    def modal(self, user_id: str) -> dict[str, Any] | None:
        """The modal open for `user_id` (with `errors`), or None."""
        with self.state.lock:
            return surfaces.current_modal(self.state, user_id)

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab view last published for `user_id`, or None."""
        with self.state.lock:
            view = self.state.home_views.get(user_id)
            return copy.deepcopy(view) if view else None

    def _record(
        self, delivery: Delivery, target: ResponseTarget, *, label: str, ack_message: bool
    ) -> None:
        st = self.state
        with st.lock:
            st.last_delivery = {
                "label": label,
                "user": target.user_id,
                "channel": target.channel_id,
                "status": delivery.status,
                "error": delivery.error,
                "body": delivery.body[:500],
                "at": time.time(),
            }
            st.bump()
            if not delivery.ok:
                st.add_notice(
                    channel=target.channel_id,
                    user=target.user_id,
                    text=f'{label} failed with the error "{delivery.error}"',
                )
                return
            if not ack_message or not delivery.body.strip():
                return
            body = delivery.json()
            if isinstance(body, dict):
                if body.get("text") or body.get("blocks"):
                    apply_response(st, target, body)
            elif "json" not in delivery.headers.get("Content-Type", ""):
                # Slack shows a plain-text answer to a slash command as an ephemeral
                st.add_message(
                    channel=target.channel_id,
                    user=BOT_USER_ID,
                    text=delivery.body,
                    ephemeral_to=target.user_id,
                )

    def _describe_timeout(
        self, predicate: Callable[[], Any], timeout: float, value: Any, exc: BaseException | None
    ) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        with self.state.lock:
            calls = [
                f"{c['method']}:{'ok' if c['ok'] else c['error']}" for c in self.state.calls[-8:]
            ]
            recent = [
                f"{m['channel']}/{m['ephemeral_to'] or 'all'}: {m['text'][:60]!r}"
                for m in self.state.messages[-5:]
            ]
            notices = [n["text"] for n in self.state.notices[-3:]]
            last = self.state.last_delivery
        parts = [f"wait_for({name}) still falsy after {timeout}s; last value: {value!r}"]
        if exc is not None:
            parts.append(f"last exception: {exc!r}")
        parts += [
            f"last delivery: {last}",
            f"recent API calls: {calls}",
            f"recent messages: {recent}",
            f"error lines: {notices}",
        ]
        return "\n  ".join(parts)
