"""Nothing slow on a listener thread: every command and click is acked at once from the
bot's own pool; a saturated pool says so honestly; a slow command is never answered by
the catch-all; an ack a handler makes late still reaches the user."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, Respond

from bot import dispatch as dispatch_module
from standins.slack_console import SlackConsole
from tests.conftest import BOT_TOKEN, CHANNELS, SIGNING_SECRET, USERS
from tests.dispatch_fixtures import Replica, replace_command, replica


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


class SlowCommand:
    """A handler that acks at once, then works until released (a slow scan)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = 0

    def __call__(self, ack: Ack, command: dict[str, str], respond: Respond) -> None:
        ack(text=f"Noted ({command['text']})")
        self.started += 1
        self.release.wait(20)
        respond(text=f"answer {command['text']}", response_type="ephemeral")


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowCommand]:
    handler = SlowCommand()
    replace_command(monkeypatch, "/budget", handler)
    yield handler
    handler.release.set()


@pytest.fixture
def bot(
    slow: SlowCommand, config_file: Path, sqlite_url: str, console: SlackConsole
) -> Iterator[Replica]:
    with replica(config_file, sqlite_url, console, workers=1, max_queued=2) as running:
        console.bot_url = f"{running.url}/slack/events"
        yield running
        slow.release.set()


def _send(console: SlackConsole, text: str) -> tuple[float, str]:
    """(seconds until the ack, the ack's text)."""
    started = time.perf_counter()
    delivery = console.send_command(user_id="U0DEV", channel_id="C0PAY", text=text)
    assert delivery.status == 200, delivery
    body = delivery.json()
    return time.perf_counter() - started, body["text"] if body else delivery.body


def _texts(console: SlackConsole) -> list[str]:
    return [m["text"] for m in console.ephemerals("U0DEV")]


def test_a_saturated_pool_acks_at_once_and_says_how_many_are_ahead(
    bot: Replica, slow: SlowCommand, console: SlackConsole
) -> None:
    took, first = _send(console, "/budget one")
    assert first == "Noted (one)"
    console.wait_for(lambda: slow.started == 1)
    acks = [_send(console, f"/budget {n}") for n in ("two", "three", "four")]
    assert [a[1] for a in acks] == [
        ":hourglass: busy: your answer is queued, 0 ahead.",
        ":hourglass: busy: your answer is queued, 1 ahead.",
        ":hourglass: busy: 2 answers are already waiting, so this one was not queued. "
        "Try again in a minute.",
    ]
    assert max([took] + [a[0] for a in acks]) < 1.0  # nothing waited for the slow work
    assert all("does not know" not in text for text in _texts(console))
    slow.release.set()
    console.wait_for(lambda: {"answer one", "answer two", "answer three"} <= set(_texts(console)))
    # the queued handlers' own acks arrive too (late, through response_url)
    console.wait_for(lambda: {"Noted (two)", "Noted (three)"} <= set(_texts(console)))
    time.sleep(0.3)
    assert "answer four" not in _texts(console)  # refused: never run
    assert bot.pool.load() == (0, 0)


def test_a_click_while_busy_is_told_through_response_url(
    bot: Replica, slow: SlowCommand, console: SlackConsole
) -> None:
    from slack_sdk import WebClient

    _send(console, "/budget one")
    console.wait_for(lambda: slow.started == 1)
    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    button = {
        "type": "button",
        "action_id": "cleanup_approve",
        "text": {"type": "plain_text", "text": "Approve"},
        "value": "7",
    }
    ts = client.chat_postMessage(
        channel="C0PAY", text="x", blocks=[{"type": "actions", "elements": [button]}]
    )["ts"]
    message = next(m for m in console.messages("C0PAY") if m["ts"] == ts)
    started = time.perf_counter()
    assert console.click(user_id="U0DEV", message_id=message["id"], action_id="cleanup_approve").ok
    assert time.perf_counter() - started < 1.0
    console.wait_for(lambda: any("your answer is queued, 0 ahead" in t for t in _texts(console)))
    slow.release.set()
    console.wait_for(lambda: any("#7" in t for t in _texts(console)))  # then answered


def test_a_handler_slow_to_ack_is_acked_for_and_its_ack_follows(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, sqlite_url: str, console: SlackConsole
) -> None:
    def dawdling(ack: Ack, command: dict[str, str], respond: Respond) -> None:
        time.sleep(2.0)  # slow work before the ack, as a careless handler might do
        if command["text"] == "progress":
            ack(text="Looking…")  # a late progress line is not worth a message
            respond(text="the final answer")
            return
        ack(text="here is the answer")

    monkeypatch.setattr(dispatch_module, "ACK_WAIT_SECONDS", 0.2)
    replace_command(monkeypatch, "/budget", dawdling)
    with replica(config_file, sqlite_url, console) as running:
        console.bot_url = f"{running.url}/slack/events"
        took, acked = _send(console, "/budget")
        assert acked == dispatch_module.WORKING
        assert took < 2.0  # acked for after 0.2 s, not after the handler's 2 s
        console.wait_for(lambda: "here is the answer" in _texts(console))
        _send(console, "/budget progress")
        console.wait_for(lambda: "the final answer" in _texts(console))
    assert "Looking…" not in _texts(console)
    assert all("does not know" not in text for text in _texts(console))


def test_the_catch_all_never_claims_not_to_know_a_registered_command() -> None:
    from handlers.unknown_command import handle_unknown_command

    said: dict[str, Any] = {}
    handle_unknown_command(lambda **kw: said.update(kw), {"command": "/cost"})  # type: ignore[arg-type]
    assert "does not know" not in said["text"]
    handle_unknown_command(lambda **kw: said.update(kw), {"command": "/nope"})  # type: ignore[arg-type]
    assert "does not know `/nope`" in said["text"]
