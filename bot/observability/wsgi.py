"""`GET /metrics`, `GET /readyz`, and the ack-latency measurement of `/slack/events`.

A thin WSGI layer in front of the bot's own: it reads nothing it does not need, puts the
request body back exactly as it came, and labels a request only with bounded names (a
registered slash command, or the interaction type).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from bot.observability.children import MergedCollector, has_child_sources
from bot.observability.db_collector import StateCollector
from bot.observability.health import readiness
from bot.observability.metrics import observe_ack
from bot.services import Services

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_INTERACTIONS = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
_MAX_LABELLED_BODY = 1 << 20  # larger bodies are not Slack's; they are timed as "other"


class ObservedWsgi:
    """Wraps the bot's WSGI app with metrics and readiness."""

    def __init__(
        self,
        inner: WsgiApp,
        services: Services,
        *,
        commands: Iterable[str],
        job_periods: Callable[[], dict[str, float]] | None = None,
    ) -> None:
        self._inner = inner
        self._services = services
        self._commands = frozenset(commands)
        self._state = CollectorRegistry(auto_describe=False)
        self._state.register(StateCollector(services, job_periods=job_periods))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/metrics" and method in {"GET", "HEAD"}:
            return self._metrics(start_response)
        if path == "/readyz" and method in {"GET", "HEAD"}:
            return self._ready(start_response)
        if path == "/slack/events" and method == "POST":
            return self._timed(environ, start_response)
        return self._inner(environ, start_response)

    def _metrics(self, start_response: StartResponse) -> list[bytes]:
        data = generate_latest(_process_registry()) + generate_latest(self._state)
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data)))]
        )
        return [data]

    def _ready(self, start_response: StartResponse) -> list[bytes]:
        ready, body = readiness(self._services)
        data = json.dumps(body).encode()
        status = "200 OK" if ready else "503 Service Unavailable"
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def _timed(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        kind, command = self._label(environ)
        try:
            return list(self._inner(environ, start_response))
        finally:
            observe_ack(kind, command, time.perf_counter() - started)

    def _label(self, environ: dict[str, Any]) -> tuple[str, str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return "other", "other"
        if length <= 0 or length > _MAX_LABELLED_BODY:
            return "other", "other"
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.classify(body)

    def classify(self, body: bytes) -> tuple[str, str]:
        """("command", "/cost") for a registered command, ("interaction", type) for a click."""
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            return "other", "other"
        command = (form.get("command") or [""])[0]
        if command:
            return "command", command if command in self._commands else "other"
        payload = (form.get("payload") or [""])[0]
        if payload:
            try:
                kind = json.loads(payload).get("type")
            except (ValueError, AttributeError):
                return "other", "other"
            return "interaction", kind if kind in _INTERACTIONS else "other"
        return "other", "other"


def _process_registry() -> CollectorRegistry:
    """This process's metrics (with its answer process's), or every process's in
    prometheus-client multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        if not has_child_sources():
            return REGISTRY
        merged = CollectorRegistry(auto_describe=False)
        merged.register(MergedCollector())
        return merged
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
