"""The console page in headless Chromium: the driver, the console, a bot behind it, and waits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from standins.slack_console import BackgroundServer, SlackConsole
from tests.conftest import start_console

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SECRET = "browser-test-secret"
TOKEN = "xoxb-browser-test"
USERS = {
    "U0ALICE": {"name": "alice", "email": "alice@example.com"},
    "U0BOB": {"name": "bob", "email": "bob@example.com"},
}
CHANNELS = {"C0PAY": "payments", "C0OPS": "ops"}


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        message = f"{', '.join(missing)} not found: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    _require_browser()
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium must never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    c = start_console(signing_secret=SECRET, bot_token=TOKEN, channels=CHANNELS, users=USERS)
    yield c
    c.stop()


@pytest.fixture
def bot(console: SlackConsole) -> Iterator[BackgroundServer]:
    """A real Bolt app: /echo answers with a button; the button posts into the channel."""
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=console.api_url))

    @app.command("/echo")
    def echo(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(
            text=f"echo {command['text']}",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*echo* {command['text']}"},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "echo_ok",
                            "value": command["text"],
                            "style": "primary",
                            "text": {"type": "plain_text", "text": "Looks good"},
                        },
                    ],
                },
            ],
        )

    @app.action("echo_ok")
    def ok(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        value = body["actions"][0]["value"]
        client.chat_postMessage(
            channel=body["channel"]["id"], text=f"<@{body['user']['id']}> approved *{value}*"
        )
        respond(replace_original=True, text=f"Done: {value}")

    server = BackgroundServer(SlackRequestHandler(app), threads=4, name="bolt-browser-test")
    console.bot_url = server.url + "/slack/events"
    yield server
    server.stop()


def _wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def _messages(driver: Any, css: str, contains: str) -> Any:
    from selenium.webdriver.common.by import By

    def found(d: Any) -> Any:
        hits = [m for m in d.find_elements(By.CSS_SELECTOR, css) if contains in m.text]
        return hits or False

    return found
