"""The HTTP face of the bot: `/slack/events` for Slack, `/healthz` for the platform.

Every POST to `/slack/events` is verified here (bot/verify.py) before Bolt sees it; a
request that fails is answered 401/400 and causes nothing else. A verified body of a
shape the bot does not handle is acknowledged and logged (bot/envelope.py). A Slack retry
of a request already being answered is acknowledged and ignored (bot/redelivery.py).
With an answer process (bot/answers), a verified command, click or event is acked here at
once and answered there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.answers.front import forwardable
from bot.dispatch import OUT_OF_DATE, allowed_response_url, post_notice, response_url_of
from bot.envelope import shape_problem
from bot.redelivery import Redeliveries
from bot.services import Services
from bot.verify import Refused, Verified, body_key, read_body, verify, wsgi_headers
from storage.health import database_problem
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class Forwarder(Protocol):
    """Where verified requests may be answered instead of here (bot/answers/front.py)."""

    def forward(
        self, body: str, headers: dict[str, str], *, reply_to: str | None = None
    ) -> bool: ...

    @property
    def ready(self) -> bool: ...


class BotWsgi:
    """Routes requests: Slack events to Bolt, health checks to a JSON status."""

    def __init__(self, app: App, services: Services, *, answers: Forwarder | None = None) -> None:
        self._app = app
        self._services = services
        self._answers = answers
        self.redeliveries = Redeliveries(services.db)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            if method != "POST":
                return _json(start_response, 405, {"error": "POST only"})
            return self._slack(environ, start_response)
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return self._health(start_response)
        return _json(start_response, 404, {"error": "not found"})

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw = read_body(environ)
        headers = wsgi_headers(environ)
        secret = self._services.settings.slack_signing_secret
        checked = (
            raw
            if isinstance(raw, Refused)
            else verify(raw, headers, secret=secret.get_secret_value() if secret else None)
        )
        if isinstance(checked, Refused):
            log.warning("refused a request to /slack/events: %s", checked.reason)
            return _json(start_response, checked.status, {"error": checked.reason})
        problem = shape_problem(
            checked.parsed, url_allowed=lambda url: allowed_response_url(url, self._services)
        )
        if problem is not None:
            return self._ignore(start_response, checked, problem)
        key = body_key(checked.body)
        if checked.retry_num is None:
            self.redeliveries.first_delivery(key)
        elif self.redeliveries.is_duplicate(key):
            log.info("ignored Slack retry %s of a request already answered", checked.retry_num)
            return _respond(start_response, BoltResponse(status=200, body=""), no_retry=True)
        if self._answers is not None and forwardable(checked.parsed):
            url = response_url_of(checked.parsed)
            reply_to = url if url and allowed_response_url(url, self._services) else None
            if self._answers.forward(checked.body, checked.headers, reply_to=reply_to):
                return _respond(start_response, BoltResponse(status=200, body=""))
        request = BoltRequest(
            body=checked.body,
            query=str(environ.get("QUERY_STRING", "")),
            headers={name: [value] for name, value in checked.headers.items()},
        )
        try:
            response = self._app.dispatch(request)
        except Exception as exc:  # Bolt itself failed: answer, never 500 without a word
            log.error("Bolt could not dispatch a request: %s: %s", type(exc).__name__, exc)
            response = BoltResponse(status=200, body="")
        return _respond(start_response, response)

    def _ignore(
        self, start_response: StartResponse, checked: Verified, problem: str
    ) -> Iterable[bytes]:
        """A verified body the bot cannot act on: ack it, log it, and for a click say so."""
        log.warning("ignored a malformed Slack request: %s", problem)
        url = response_url_of(checked.parsed)
        if checked.parsed.get("type") == "block_actions" and allowed_response_url(
            url, self._services
        ):
            post_notice(str(url), {"text": OUT_OF_DATE})
        return _respond(start_response, BoltResponse(status=200, body=""))

    def health(self) -> tuple[int, dict[str, Any]]:
        """Status code and body for `/healthz`."""
        database_ok = self._services.db.ping()
        body: dict[str, Any] = {
            "status": "ok" if database_ok else "degraded",
            "database": "ok" if database_ok else "unreachable",
            "config": "loaded",
            "teams": len(self._services.config.teams),
        }
        if self._answers is not None:  # until it is up (or back), this process answers
            body["answer_process"] = "ready" if self._answers.ready else "starting"
        behind = False
        if database_ok:
            try:
                body["schema"] = current_revision(self._services.db.engine)
            except Exception:
                body["schema"] = None
            head = head_revision(self._services.db.engine)
            if body["schema"] != head:  # another replica is migrating, or this code is older
                behind = True
                body["status"], body["migrations"] = "degraded", f"behind (code expects {head})"
            problem = database_problem(self._services.db)  # writable, same file
            if problem is not None:
                database_ok = False
                body.update(status="degraded", database="unwritable", reason=problem)
        return (200 if database_ok and not behind else 503), body

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        status, body = self.health()
        return _json(start_response, status, body)


def _respond(
    start_response: StartResponse, response: BoltResponse, *, no_retry: bool = False
) -> list[bytes]:
    data = (response.body or "").encode()
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(data))))
    if no_retry:
        headers.append(("X-Slack-No-Retry", "1"))
    start_response(f"{response.status} {_REASONS.get(response.status, '')}".strip(), headers)
    return [data]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {_REASONS.get(status, '')}".strip(),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
