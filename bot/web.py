"""The HTTP face of the bot: `/slack/events` for Slack, `/healthz` for the platform."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.services import Services
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class BotWsgi:
    """Routes requests: Slack events to Bolt, health checks to a JSON status."""

    def __init__(self, app: App, services: Services) -> None:
        self._slack = SlackRequestHandler(app)
        self._services = services

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

    def health(self) -> tuple[int, dict[str, Any]]:
        """Status code and body for `/healthz`."""
        database_ok = self._services.db.ping()
        body: dict[str, Any] = {
            "status": "ok" if database_ok else "degraded",
            "database": "ok" if database_ok else "unreachable",
            "config": "loaded",
            "teams": len(self._services.config.teams),
        }
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
        return (200 if database_ok and not behind else 503), body

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        status, body = self.health()
        return _json(start_response, status, body)


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    reasons = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
    data = json.dumps(body).encode()
    start_response(
        f"{status} {reasons.get(status, '')}".strip(),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
