"""A real stack for the outbox tests: moto server, the console stand-in, the bot over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bot.config import Settings
from bot.services import Services, build_services
from bot.slack.worker import OutboxWorker
from standins.slack_console import SlackConsole
from standins.slack_console.state import BOT_USER_ID
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, make_env
from tests.orphans_fixtures import AWS_ENV, CONFIG, Estate

CHANNELS = {"C0FINOPS": "finops", "C0PAY": "payments", "C0SRCH": "search"}
USERS = {
    "U0DEV": {"name": "sam", "email": "sam@example.com"},
    "U0LEAD": {"name": "priya", "email": "priya@example.com"},
}
ACCOUNT = "123456789012"


@dataclass
class Stack:
    console: SlackConsole
    services: Services
    estate: Estate
    env: dict[str, str]
    worker: OutboxWorker | None = None


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server for the module (each test makes its own resources)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The moto server's URL in AWS_ENDPOINT_URL and the fake AWS credentials."""
    env = {**AWS_ENV, "AWS_ENDPOINT_URL": moto_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    with SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=SIGNING_SECRET,
        bot_token=BOT_TOKEN,
        channels=CHANNELS,
        users=USERS,
    ) as running:
        yield running


@pytest.fixture
def stack(tmp_path: Path, moto_env: dict[str, str], console: SlackConsole) -> Iterator[Stack]:
    """The bot served in-process with its outbox worker running (fast polling)."""
    from bot.server import start_http_in_thread

    config = tmp_path / "finops.yml"
    config.write_text(CONFIG)
    env = {
        **moto_env,
        **make_env(config, f"sqlite:///{tmp_path / 'bot.db'}", SLACK_API_URL=console.api_url),
    }
    services = build_services(Settings.from_env(env))
    worker = OutboxWorker(services, poll_seconds=0.2)
    services.__dict__["_outbox_worker"] = worker
    running = start_http_in_thread(services)
    console.bot_url = f"{running.url}/slack/events"
    worker.start()
    yield Stack(console, services, Estate(boto3.Session(region_name="us-east-1")), env, worker)
    worker.stop()
    running.stop()
    services.db.dispose()


def listing(console: SlackConsole, volume: str) -> dict[str, Any]:
    """A bot message in #finops with the volume's "Request cleanup" button (as /orphans
    draws it), so a test can click it without a full scan."""
    value = {"k": "volume", "r": "us-east-1", "a": ACCOUNT, "id": volume}
    block = {
        "type": "section",
        "block_id": volume,
        "text": {"type": "mrkdwn", "text": f"`{volume}`"},
        "accessory": {
            "type": "button",
            "action_id": "orphans_request_cleanup",
            "text": {"type": "plain_text", "text": "Request cleanup"},
            "value": json.dumps(value),
        },
    }
    with console.state.lock:
        return console.state.add_message(
            channel="C0FINOPS", user=BOT_USER_ID, text="Waste", blocks=[block]
        )


def request_cleanup(console: SlackConsole, volume: str, user: str = "U0DEV") -> None:
    message = listing(console, volume)
    console.click(user_id=user, message_id=message["id"], action_id="orphans_request_cleanup")


def approvals(console: SlackConsole, channel: str, volume: str) -> list[dict[str, Any]]:
    """The approval messages about `volume` in `channel`."""
    return [
        m
        for m in console.messages(channel)
        if volume in json.dumps(m["blocks"]) and "Cleanup request #" in json.dumps(m["blocks"])
    ]


def answer_to(console: SlackConsole, user: str, needle: str) -> list[dict[str, Any]]:
    return [m for m in console.ephemerals(user) if needle in m["text"]]
