"""Socket Mode: Bolt's handler, with Slack's redeliveries ignored as over HTTP.

Over Socket Mode a retry comes as the same payload with `retry_attempt` ≥ 1 (the HTTP
`X-Slack-Retry-Num`). Its original is remembered by the same `Redeliveries` as HTTP uses
(memory at once, the database shortly after), so a retry of a request already being
answered is acknowledged and dropped here, by this replica or another. With an answer
process (bot/answers), a command, click or event is acked here at once and answered there.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.answers.front import SOCKET_MODE_HEADER, forwardable
from bot.dispatch import response_url_of
from bot.redelivery import Redeliveries

log = logging.getLogger(__name__)


def payload_key(payload: dict[str, Any]) -> str:
    """What names one Slack request over Socket Mode: the Events API's `event_id` when
    there is one, else a fingerprint of the payload (a retry repeats it exactly)."""
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and event_id:
        return "event:" + event_id[:64]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


class DedupingSocketModeHandler(SocketModeHandler):
    """`SocketModeHandler` that acks and drops a retry whose original is being answered."""

    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        redeliveries: Redeliveries,
        answers: Any = None,
        url_allowed: Callable[[Any], bool] = lambda _url: False,
    ) -> None:
        """`answers` (bot.answers.front.AnswerProcess) answers commands, clicks and events;
        `url_allowed` says which response_urls it may tell if it loses an answer."""
        super().__init__(app, app_token)
        self.redeliveries = redeliveries
        self.answers = answers
        self.url_allowed = url_allowed

    def handle(self, client: Any, req: SocketModeRequest) -> None:
        key = payload_key(req.payload)
        if not req.retry_attempt:
            self.redeliveries.first_delivery(key)
        elif self.redeliveries.is_duplicate(key):
            log.info("ignored Slack retry %s of a request already answered", req.retry_attempt)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        if (
            self.answers is not None
            and isinstance(req.payload, dict)
            and forwardable(req.payload)
            and self.answers.forward(
                json.dumps(req.payload),
                {SOCKET_MODE_HEADER: "1"},
                reply_to=self._reply_to(req.payload),
            )
        ):
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)

    def _reply_to(self, payload: dict[str, Any]) -> str | None:
        url = response_url_of(payload)
        return url if url is not None and self.url_allowed(url) else None
