"""Socket Mode: a retry (`retry_attempt` ≥ 1) of a request already being answered is
acknowledged and dropped, by the replica that saw it or by another on the same database;
a retry whose original was never seen is answered once."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import create_app
from bot.config import Settings
from bot.redelivery import Redeliveries
from bot.services import build_services
from bot.socket_mode import DedupingSocketModeHandler, payload_key
from standins.slack_console import SlackConsole
from tests.conftest import make_env
from tests.dispatch_fixtures import replace_command
from tests.outbox_fixtures import console  # noqa: F401  (fixture)


class Recorder:
    """Stands in for the Socket Mode connection (Slack has no local Socket Mode server)."""

    def __init__(self) -> None:
        self.responses: list[Any] = []
        self.logger = logging.getLogger("socket-mode-test")

    def send_socket_mode_response(self, response: Any) -> None:
        self.responses.append(response)


def _command(text: str) -> dict[str, Any]:
    return {
        "command": "/cost",
        "text": text,
        "user_id": "U0DEV",
        "user_name": "dev",
        "channel_id": "C0PAY",
        "team_id": "T0TEST",
        "response_url": "https://hooks.slack.com/commands/T0TEST/1/abc",
        "trigger_id": "1.2.3",
    }


def test_socket_mode_retries_are_answered_once_across_replicas(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, sqlite_url: str, console: SlackConsole
) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def counting(ack: Any, command: dict[str, str]) -> None:
        ack()
        with lock:
            calls.append(command["text"])

    replace_command(monkeypatch, "/cost", counting)
    env = make_env(config_file, sqlite_url, SLACK_API_URL=console.api_url)
    replicas = []
    for _ in range(2):
        services = build_services(Settings.from_env(env))
        redeliveries = Redeliveries(services.db)
        handler = DedupingSocketModeHandler(
            create_app(services), "xapp-1-test", redeliveries=redeliveries
        )
        replicas.append((handler, redeliveries))
    (first, first_seen), (second, _) = replicas
    link = Recorder()

    def send(handler: DedupingSocketModeHandler, envelope: str, text: str, retry: int | None):
        handler.handle(
            link,
            SocketModeRequest(
                type="slash_commands",
                envelope_id=envelope,
                payload=_command(text),
                retry_attempt=retry,
            ),
        )

    send(first, "e1", "team=payments", None)
    first_seen.flush()
    send(first, "e2", "team=payments", 1)  # the same replica's retry
    send(second, "e3", "team=payments", 2)  # another replica's retry (through the database)
    send(second, "e4", "team=search", 1)  # a retry whose original never arrived
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a wrongly answered retry would land by now
    assert sorted(calls) == ["team=payments", "team=search"]
    assert [r.envelope_id for r in link.responses] == ["e1", "e2", "e3", "e4"]  # all acked


def test_payload_key_prefers_the_event_id() -> None:
    event = {"event_id": "Ev1", "event": {"type": "app_home_opened", "user": "U1"}}
    assert payload_key(event) == payload_key({**event, "event_time": 2}) == "event:Ev1"
    assert payload_key(_command("a")) == payload_key(dict(reversed(_command("a").items())))
    assert payload_key(_command("a")) != payload_key(_command("b"))
