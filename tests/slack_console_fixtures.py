"""The Slack console with a real slack_bolt App behind it: the bot, the console, and a
Web API client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from standins.slack_console import BackgroundServer, SlackConsole
from tests.conftest import start_console

SECRET = "console-test-signing-secret"
TOKEN = "xoxb-console-test"
CHANNELS = {"C0PAY": "payments", "C0OPS": "ops"}
USERS = {
    "U0ALICE": {"name": "alice", "email": "alice@example.com"},
    "U0BOB": {"name": "bob", "email": "bob@example.com"},
}
ECHO_BLOCKS_ACTION = "echo_ack"


@dataclass
class Bot:
    """A real Bolt app served over HTTP, plus what its listeners saw."""

    app: App
    server: BackgroundServer
    client: WebClient
    commands: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url + "/slack/events"


def start_bot(console: SlackConsole, signing_secret: str = SECRET) -> Bot:
    """A Bolt app with /echo, /quick and /shout, and a button handler, served on a free port."""
    client = WebClient(token=TOKEN, base_url=console.api_url)
    app = App(signing_secret=signing_secret, client=client)
    bot = Bot(app=app, server=None, client=client)  # type: ignore[arg-type]

    @app.command("/echo")
    def echo(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        bot.commands.append(dict(command))
        respond(
            text=f"echo: {command['text']}",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*echo* {command['text']}"},
                },
                {
                    "type": "actions",
                    "block_id": "echo_actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ECHO_BLOCKS_ACTION,
                            "value": command["text"],
                            "style": "primary",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                        },
                    ],
                },
            ],
        )

    @app.command("/quick")
    def quick(ack: Any, command: dict[str, Any]) -> None:
        bot.commands.append(dict(command))
        ack(text=f"quick answer to {command['text']}")

    @app.command("/shout")
    def shout(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        bot.commands.append(dict(command))
        respond(text=f"SHOUT {command['text']}", response_type="in_channel")

    @app.action(ECHO_BLOCKS_ACTION)
    def acknowledge(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        bot.actions.append(body)
        value = body["actions"][0]["value"]
        client.chat_postMessage(
            channel="C0OPS", text=f"<@{body['user']['id']}> acknowledged {value}"
        )
        respond(replace_original=True, text=f"acknowledged {value}")

    bot.server = BackgroundServer(SlackRequestHandler(app), threads=4, name="bolt-test")
    console.bot_url = bot.url
    return bot


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    c = start_console(signing_secret=SECRET, bot_token=TOKEN, channels=CHANNELS, users=USERS)
    yield c
    c.stop()


@pytest.fixture
def bot(console: SlackConsole) -> Iterator[Bot]:
    b = start_bot(console)
    yield b
    b.server.stop()


def api(console: SlackConsole, token: str = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=console.api_url)


# ------------------------------------------------------- commands and clicks
