"""Raw requests to the bot's `/slack/events` (signed or deliberately not), and a trap
HTTP server that records any call the bot makes to it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import func as sql_func
from sqlalchemy import inspect, select

from bot.config import Settings
from bot.services import build_services
from storage.db import Database
from tests.conftest import (
    SIGNING_SECRET,
    TEST_CONFIG,
    SlackStack,
    make_env,
    start_console,
)


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackStack]:
    """Like `slack_stack` (console + the bot over HTTP), shared by a module's tests."""
    from bot.server import start_http_in_thread

    workdir = tmp_path_factory.mktemp("stack")
    config = workdir / "finops.yml"
    config.write_text(TEST_CONFIG)
    console = start_console()
    env = make_env(config, f"sqlite:///{workdir / 'bot.db'}", SLACK_API_URL=console.api_url)
    built = build_services(Settings.from_env(env))
    running = start_http_in_thread(built)
    console.bot_url = f"{running.url}/slack/events"
    yield SlackStack(console=console, url=running.url, services=built)
    running.stop()
    console.stop()
    built.db.dispose()


def post_raw(
    url: str,
    body: str | bytes,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: str | None = None,
    signature: str | None = None,
    sign: bool = True,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST `body` to `url/slack/events`, signed correctly unless told otherwise."""
    data = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time())) if timestamp is None else timestamp
    sent = {"Content-Type": content_type, **(headers or {})}
    if ts != "":
        sent["X-Slack-Request-Timestamp"] = ts
    if signature is not None:
        sent["X-Slack-Signature"] = signature
    elif sign:
        base = b"v0:" + ts.encode() + b":" + data
        sent["X-Slack-Signature"] = (
            "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
        )
    return requests.post(f"{url}/slack/events", data=data, headers=sent, timeout=10)


def command_form(command: str, text: str = "", *, response_url: str, **fields: str) -> str:
    """A slash command's form body."""
    values = {
        "token": "legacy",
        "team_id": "T0LOCAL",
        "channel_id": "C0PAY",
        "user_id": "U0DEV",
        "user_name": "sam",
        "command": command,
        "text": text,
        "response_url": response_url,
        "trigger_id": f"1.2.{time.time_ns()}",
    }
    values.update(fields)
    return urlencode(values)


def payload_form(payload: Any) -> str:
    """An interaction's form body (`payload=<json>`), or any text as the payload."""
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})


class Trap:
    """A local HTTP server that answers 200 and records every request it gets."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, bytes]] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                trap.hits.append(("POST", self.path, self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self) -> None:
                trap.hits.append(("GET", self.path, b""))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def trap_server() -> Iterator[Trap]:
    """A Trap for the duration of the block."""
    trap = Trap()
    try:
        yield trap
    finally:
        trap.stop()


def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the database."""
    from sqlalchemy import Table

    names = inspect(db.engine).get_table_names()
    counts = {}
    with db.engine.connect() as connection:
        for name in names:
            table = Table(name, _metadata(), autoload_with=connection)
            counts[name] = int(connection.scalar(select(sql_func.count()).select_from(table)) or 0)
    return counts


def _metadata() -> Any:
    from sqlalchemy import MetaData

    return MetaData()


def tracebacks(records: list[Any]) -> list[str]:
    """Log records that carry a traceback (or print one)."""
    return [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in records
        if r.exc_info or "Traceback" in r.getMessage()
    ]
