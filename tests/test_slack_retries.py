"""Slack retries (X-Slack-Retry-Num) of a request already being answered are acked and
ignored, on the replica that saw the original and on any other sharing its database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import Ack

from standins.slack_console import SlackConsole
from tests.conftest import BOT_TOKEN, CHANNELS, SIGNING_SECRET, USERS
from tests.dispatch_fixtures import replace_command, replica
from tests.slack_requests import command_form, post_raw


class Counting:
    """A command handler that counts its runs."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, ack: Ack, command: dict[str, str]) -> None:
        with self.lock:
            self.runs.append(command["text"])
        ack(text=f"answered {command['text']}")


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
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    handler = Counting()
    replace_command(monkeypatch, "/budget", handler)
    return handler


def test_a_retry_is_ignored_here_and_on_another_replica(
    counting: Counting, config_file: Path, database_url: str, console: SlackConsole
) -> None:
    url = f"{console.base_url}/response/none"
    with (
        replica(config_file, database_url, console) as first,
        replica(config_file, database_url, console) as second,
    ):
        body = command_form("/budget", "one", response_url=url)
        original = post_raw(first.url, body)
        assert (original.status_code, original.text) == (200, "answered one")
        first.wsgi.redeliveries.flush()
        for target, number in ((second, "1"), (first, "2"), (second, "3")):
            retry = post_raw(target.url, body, headers={"X-Slack-Retry-Num": number})
            assert retry.status_code == 200
            assert retry.text == ""
            assert retry.headers.get("X-Slack-No-Retry") == "1"
        assert counting.runs == ["one"]

        # a retry whose original never reached any replica is answered, once
        lost = command_form("/budget", "two", response_url=url)
        retry = post_raw(second.url, lost, headers={"X-Slack-Retry-Num": "1"})
        assert retry.text == "answered two"
        again = post_raw(first.url, lost, headers={"X-Slack-Retry-Num": "2"})
        assert again.text == ""
        assert counting.runs == ["one", "two"]

        # a different request with the same text is a new request, not a retry
        other = command_form("/budget", "one", response_url=url)
        assert post_raw(second.url, other).text == "answered one"
        assert counting.runs == ["one", "two", "one"]


def test_an_event_is_acked_at_once_run_on_the_pool_and_its_retries_ignored(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, sqlite_url: str, console: SlackConsole
) -> None:
    import json
    import time

    import handlers

    seen: list[str] = []
    release = threading.Event()

    def on_home(event: dict[str, str]) -> None:
        release.wait(5)  # slow work (views.publish, database reads…)
        seen.append(event["user"])

    monkeypatch.setattr(handlers, "EVENTS", [("app_home_opened", on_home)])
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0LOCAL",
            "api_app_id": "A0LOCAL",
            "event_id": "Ev1",
            "event": {"type": "app_home_opened", "user": "U0DEV", "tab": "home"},
        }
    )
    with replica(config_file, sqlite_url, console) as bot:
        started = time.perf_counter()
        first = post_raw(bot.url, body, content_type="application/json")
        assert first.status_code == 200
        assert time.perf_counter() - started < 1.0  # not waiting for the slow listener
        retry = post_raw(
            bot.url, body, content_type="application/json", headers={"X-Slack-Retry-Num": "1"}
        )
        assert retry.headers.get("X-Slack-No-Retry") == "1"
        release.set()
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    assert seen == ["U0DEV"]
