"""The answer process (bot/answers): acks here, answers in a child process, and a child
killed with SIGKILL is replaced while the acking process answers in the meantime."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.answers.front import answer_process_wanted, forwardable
from bot.config import Settings
from bot.services import build_services
from bot.wsgi_thread import BackgroundServer
from standins.slack_console import SlackConsole
from tests.answer_child_setup import GATE_ENV, Gate, slow_finops
from tests.conftest import (
    SlackStack,
    make_env,
    start_console,
)

START_SECONDS = 90  # a spawned interpreter imports the whole bot (slow under a loaded CI)


@pytest.fixture
def answering(config_file: Path, sqlite_url: str) -> Iterator[tuple[SlackStack, BackgroundServer]]:
    """Console + the bot over HTTP with its answer process, as `finops-bot serve` runs."""
    yield from _stack(config_file, sqlite_url)


@pytest.fixture
def saturated(
    config_file: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[SlackStack, BackgroundServer, Gate]]:
    """The same, with one answer worker, one waiting place and a `/finops` held at a gate."""
    for name in ("FINOPS_ANSWER_WORKERS", "FINOPS_ANSWER_QUEUE", "FINOPS_ANSWER_LANE_WORKERS"):
        monkeypatch.setenv(name, "1")  # the answer process inherits the environment
    gate = _gate(monkeypatch, tmp_path)
    for stack, running in _stack(config_file, sqlite_url, setup=slow_finops):
        yield stack, running, gate


@pytest.fixture
def slow(
    config_file: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[SlackStack, BackgroundServer, Gate]]:
    """The same, with a `/finops` held at a gate in the answer process."""
    gate = _gate(monkeypatch, tmp_path)
    for stack, running in _stack(config_file, sqlite_url, setup=slow_finops):
        yield stack, running, gate


def _gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Gate:
    root = tmp_path / "gate"
    root.mkdir()
    monkeypatch.setenv(GATE_ENV, str(root))
    return Gate(root)


def _stack(
    config_file: Path, sqlite_url: str, setup: Callable[[], None] | None = None
) -> Iterator[tuple[SlackStack, BackgroundServer]]:
    from bot.server import start_http_in_thread

    console = start_console()
    env = make_env(config_file, sqlite_url, SLACK_API_URL=console.api_url)
    built = build_services(Settings.from_env(env))
    running = start_http_in_thread(built, answer_process=True, answer_setup=setup)
    console.bot_url = f"{running.url}/slack/events"
    assert running.answers.wait_ready(START_SECONDS), "the answer process did not start"
    yield SlackStack(console=console, url=running.url, services=built), running
    running.stop()
    console.stop()
    built.db.dispose()


def _answers_to(console: SlackConsole, user: str, needle: str) -> list[str]:
    return [m["text"] for m in console.ephemerals(user) if needle in (m.get("text") or "")]


def test_commands_are_acked_empty_here_and_answered_by_the_child(
    answering: tuple[SlackStack, BackgroundServer],
) -> None:
    stack, running = answering
    console = stack.console
    delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    assert delivery.status == 200 and delivery.body == ""  # the answer comes from the child
    console.wait_for(lambda: _answers_to(console, "U0DEV", "finops-bot commands"), timeout=20)
    # bad input: a clear answer through response_url, never a traceback
    delivery = console.send_command(
        user_id="U0DEV", channel_id="C0FINOPS", text="/orphans kind=nope"
    )
    assert delivery.status == 200 and delivery.body == ""
    said = console.wait_for(lambda: _answers_to(console, "U0DEV", "nope"), timeout=20)
    assert not any("Traceback" in text for text in said)

    # the child's counters are served by this process's /metrics
    def counted() -> bool:
        text = requests.get(f"{stack.url}/metrics", timeout=5).text
        return 'finops_requests_total{command="/finops"' in text

    console.wait_for(counted, timeout=10)
    assert running.answers.pid != os.getpid()


def test_a_killed_child_is_replaced_and_nothing_goes_unanswered(
    answering: tuple[SlackStack, BackgroundServer],
) -> None:
    stack, running = answering
    console, answers = stack.console, running.answers
    first = answers.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    console.wait_for(lambda: not answers.ready, timeout=10)
    # while it is down, this process answers itself: the help is in the ack
    delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    assert delivery.status == 200 and "/cost" in delivery.body
    assert answers.wait_ready(START_SECONDS), "no new answer process"
    assert answers.pid not in (None, first) and answers.restarts == 1
    before = len(_answers_to(console, "U0DEV", "finops-bot commands"))
    delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    assert delivery.body == ""
    console.wait_for(
        lambda: len(_answers_to(console, "U0DEV", "finops-bot commands")) > before, timeout=20
    )


def test_a_stopped_server_ends_its_child(answering: tuple[SlackStack, BackgroundServer]) -> None:
    _, running = answering
    pid = running.answers.pid
    running.stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the answer process outlived its server")


def test_a_server_stopped_while_it_replaces_its_child_leaves_no_child(
    answering: tuple[SlackStack, BackgroundServer],
) -> None:
    import multiprocessing
    import threading

    _, running = answering
    answers = running.answers
    spawning = threading.Event()
    spawn = answers._spawn

    def slow_spawn() -> None:  # widens the moment a replacement is being started
        spawning.set()
        time.sleep(0.5)
        spawn()

    answers._spawn = slow_spawn  # type: ignore[method-assign]
    os.kill(answers.pid, signal.SIGKILL)
    assert spawning.wait(15)
    running.stop()

    def children() -> list[str]:
        return [p.name for p in multiprocessing.active_children() if p.name == "finops-answers"]

    deadline = time.monotonic() + 15
    while children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children() == []


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        ({"command": "/cost", "text": ""}, True),
        ({"type": "block_actions", "actions": []}, True),
        ({"type": "event_callback", "event": {}}, True),
        ({"type": "view_submission", "view": {}}, False),  # its ack carries the form's errors
        ({"type": "url_verification", "challenge": "x"}, False),
        ({"ssl_check": "1"}, False),
    ],
)
def test_what_is_forwarded(parsed: dict[str, object], expected: bool) -> None:
    assert forwardable(parsed) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("", True), ("1", True), ("0", False), ("off", False), ("No", False)]
)
def test_the_switch(value: str, expected: bool) -> None:
    assert answer_process_wanted({"FINOPS_ANSWER_PROCESS": value}) is expected


class _Link:
    """Stands in for the Socket Mode connection (Slack has no local Socket Mode server)."""

    def __init__(self) -> None:
        self.responses: list[object] = []

    def send_socket_mode_response(self, response: object) -> None:
        self.responses.append(response)


def test_socket_mode_commands_are_answered_by_the_child_too(
    answering: tuple[SlackStack, BackgroundServer],
) -> None:
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.app import create_app
    from bot.dispatch import allowed_response_url
    from bot.redelivery import Redeliveries
    from bot.socket_mode import DedupingSocketModeHandler
    from standins.slack_console.state import ResponseTarget

    stack, running = answering
    console, services = stack.console, stack.services
    handler = DedupingSocketModeHandler(
        create_app(services),
        "xapp-1-test",
        redeliveries=Redeliveries(services.db),
        answers=running.answers,
        url_allowed=lambda url: allowed_response_url(url, services),
    )
    with console.state.lock:
        url = console._response_url(ResponseTarget(user_id="U0DEV", channel_id="C0FINOPS"))
    payload = {
        "command": "/finops",
        "text": "help",
        "user_id": "U0DEV",
        "user_name": "sam",
        "channel_id": "C0FINOPS",
        "team_id": "T0TEST",
        "response_url": url,
        "trigger_id": "1.2.3",
    }
    link = _Link()
    handler.handle(
        link, SocketModeRequest(type="slash_commands", envelope_id="e1", payload=payload)
    )
    assert len(link.responses) == 1 and getattr(link.responses[0], "payload", None) is None
    assert running.answers.in_flight() == 1  # owed (its response_url told if lost) until done
    console.wait_for(lambda: _answers_to(console, "U0DEV", "finops-bot commands"), timeout=20)
    console.wait_for(lambda: running.answers.in_flight() == 0, timeout=5)


def test_a_saturated_answer_process_says_busy_and_acks_stay_quick(
    saturated: tuple[SlackStack, BackgroundServer, Gate],
) -> None:
    stack, _, gate = saturated
    console = stack.console
    timings = []

    def command() -> None:
        started = time.monotonic()
        delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
        timings.append(time.monotonic() - started)
        assert delivery.status == 200 and delivery.body == ""

    command()  # runs, and is held at the gate
    console.wait_for(lambda: gate.started() == 1, timeout=20)
    command()  # waits in the one waiting place
    console.wait_for(lambda: _answers_to(console, "U0DEV", "your answer is queued"), timeout=20)
    command()  # finds the waiting place taken
    console.wait_for(lambda: _answers_to(console, "U0DEV", "was not queued"), timeout=20)
    assert max(timings) < 1.0  # the held answers never held an ack
    assert gate.started() == 1
    gate.release()
    console.wait_for(
        lambda: len(_answers_to(console, "U0DEV", "finops-bot commands")) == 2, timeout=30
    )
    assert gate.started() == 2


def test_users_whose_answer_a_killed_child_owed_are_told(
    slow: tuple[SlackStack, BackgroundServer, Gate],
) -> None:
    from bot.answers.front import LOST

    stack, running, gate = slow
    console, answers = stack.console, running.answers
    delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    assert delivery.body == ""
    console.wait_for(lambda: gate.started() == 1, timeout=20)  # its answer is running, held
    assert answers.in_flight() == 1
    os.kill(answers.pid, signal.SIGKILL)
    told = console.wait_for(lambda: _answers_to(console, "U0DEV", "stopped while working"))
    assert told == [LOST] and answers.in_flight() == 0
    # an answer the child finished is not owed: the next child answers, nobody is told
    assert answers.wait_ready(START_SECONDS)
    gate.release()
    console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    console.wait_for(lambda: _answers_to(console, "U0DEV", "finops-bot commands"), timeout=20)
    console.wait_for(lambda: answers.in_flight() == 0, timeout=5)
    os.kill(answers.pid, signal.SIGKILL)
    console.wait_for(lambda: not answers.ready, timeout=10)
    time.sleep(1.0)
    assert len(_answers_to(console, "U0DEV", "stopped while working")) == 1
