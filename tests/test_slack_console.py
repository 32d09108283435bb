"""The Slack console against a real slack_bolt App, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standins.slack_console import BackgroundServer, SlackConsole

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
    c = SlackConsole(
        bot_url="http://127.0.0.1:9/unused",
        signing_secret=SECRET,
        bot_token=TOKEN,
        channels=CHANNELS,
        users=USERS,
    )
    c.start()
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
def test_command_reaches_bot_signed_and_ephemeral_shows(console: SlackConsole, bot: Bot) -> None:
    delivery = console.send_command(user_id="U0ALICE", channel_id="C0PAY", text="/echo hi there")

    assert delivery.status == 200
    sent = console.wait_for(lambda: bot.commands)[0]
    assert sent["command"] == "/echo"
    assert sent["text"] == "hi there"
    assert (sent["user_id"], sent["user_name"], sent["channel_id"], sent["channel_name"]) == (
        "U0ALICE",
        "alice",
        "C0PAY",
        "payments",
    )
    assert sent["team_id"] == "T0LOCAL"
    assert sent["response_url"].startswith(console.base_url + "/response/")
    assert sent["trigger_id"]

    eph = console.wait_for(lambda: console.ephemerals("U0ALICE"))
    assert len(eph) == 1
    msg = eph[0]
    assert msg["text"] == "echo: hi there"
    assert msg["user"] == "U0BOT"
    assert msg["ephemeral_to"] == "U0ALICE"
    assert msg["channel"] == "C0PAY"
    button = msg["blocks"][1]["elements"][0]
    assert button["action_id"] == ECHO_BLOCKS_ACTION
    # ephemeral: not in the channel, not shown to anybody else
    assert console.messages("C0PAY") == []
    assert console.ephemerals("U0BOB") == []


def test_click_reaches_action_which_posts_and_replaces(console: SlackConsole, bot: Bot) -> None:
    console.send_command(user_id="U0ALICE", channel_id="C0PAY", text="/echo i-123")
    msg = console.wait_for(lambda: console.ephemerals("U0ALICE"))[0]

    delivery = console.click(user_id="U0ALICE", message_id=msg["id"], action_id=ECHO_BLOCKS_ACTION)

    assert delivery.status == 200
    body = console.wait_for(lambda: bot.actions)[0]
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == "U0ALICE"
    assert body["actions"][0]["value"] == "i-123"
    assert body["actions"][0]["block_id"] == "echo_actions"
    assert body["container"]["is_ephemeral"] is True
    assert "message" not in body  # Slack sends no message for clicks on ephemerals
    assert body["container"]["message_ts"] == msg["ts"]
    assert body["channel"] == {"id": "C0PAY", "name": "payments"}

    posted = console.wait_for(lambda: console.messages("C0OPS"))
    assert posted[0]["text"] == "<@U0ALICE> acknowledged i-123"
    assert posted[0]["user"] == "U0BOT"
    replaced = console.wait_for(
        lambda: [m for m in console.ephemerals("U0ALICE") if m["text"] == "acknowledged i-123"]
    )
    assert replaced[0]["id"] == msg["id"]  # replaced in place, not a new message
    assert replaced[0]["blocks"] == []
    assert len(console.ephemerals("U0ALICE")) == 1
    assert [c["method"] for c in console.calls("chat.postMessage")] == ["chat.postMessage"]


def test_click_on_channel_message_includes_the_message(console: SlackConsole, bot: Bot) -> None:
    posted = api(console).chat_postMessage(
        channel="C0PAY",
        text="approve?",
        blocks=[
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Approve?"},
                "accessory": {
                    "type": "button",
                    "action_id": ECHO_BLOCKS_ACTION,
                    "value": "vol-9",
                    "text": {"type": "plain_text", "text": "Yes"},
                },
            },
        ],
    )
    msg = console.messages("C0PAY")[0]
    assert msg["ts"] == posted["ts"]

    assert (
        console.click(user_id="U0BOB", message_id=msg["id"], action_id=ECHO_BLOCKS_ACTION).status
        == 200
    )

    body = console.wait_for(lambda: bot.actions)[0]
    assert body["container"]["is_ephemeral"] is False
    assert body["message"]["ts"] == msg["ts"]
    assert body["message"]["text"] == "approve?"
    assert body["actions"][0]["value"] == "vol-9"
    console.wait_for(lambda: console.messages("C0PAY")[0]["text"] == "acknowledged vol-9")


def test_ack_with_text_and_in_channel_response(console: SlackConsole, bot: Bot) -> None:
    assert console.send_command(user_id="U0BOB", channel_id="C0OPS", text="/quick now").ok
    eph = console.wait_for(lambda: console.ephemerals("U0BOB"))
    assert eph[0]["text"] == "quick answer to now"

    console.send_command(user_id="U0BOB", channel_id="C0OPS", text="/shout hello")
    shouted = console.wait_for(lambda: console.messages("C0OPS"))
    assert shouted[0]["text"] == "SHOUT hello"
    assert shouted[0]["ephemeral_to"] is None


def test_wrong_signing_secret_is_rejected_by_bolt(bot: Bot) -> None:
    wrong = SlackConsole(
        bot_url=bot.url,
        signing_secret="not-the-secret",
        bot_token=TOKEN,
        channels=CHANNELS,
        users=USERS,
    )
    wrong.start()
    try:
        delivery = wrong.send_command(user_id="U0ALICE", channel_id="C0PAY", text="/echo hi")
        assert delivery.status == 401
        assert delivery.error == "dispatch_failed"
        assert wrong.ephemerals("U0ALICE") == []
        assert bot.commands == []
        assert wrong.notices()[0]["text"] == '/echo failed with the error "dispatch_failed"'
    finally:
        wrong.stop()


def test_bot_down_is_dispatch_failed(console: SlackConsole) -> None:
    down = BackgroundServer(lambda env, start: [b""])
    console.bot_url = down.url + "/slack/events"
    down.stop()
    delivery = console.send_command(user_id="U0ALICE", channel_id="C0PAY", text="/echo hi")
    assert delivery.status == 0
    assert delivery.error == "dispatch_failed"
    assert "dispatch_failed" in console.notices()[0]["text"]


def test_bad_arguments_raise(console: SlackConsole) -> None:
    with pytest.raises(ValueError, match="slash command"):
        console.send_command(user_id="U0ALICE", channel_id="C0PAY", text="hello")
    with pytest.raises(ValueError, match="unknown user"):
        console.send_command(user_id="U0NOBODY", channel_id="C0PAY", text="/echo")
    with pytest.raises(ValueError, match="unknown channel"):
        console.send_command(user_id="U0ALICE", channel_id="C0NOPE", text="/echo")
    with pytest.raises(ValueError, match="no message"):
        console.click(user_id="U0ALICE", message_id="M404", action_id="x")


# ------------------------------------------------------------------ Web API
def test_chat_update_and_delete(console: SlackConsole) -> None:
    client = api(console)
    posted = client.chat_postMessage(channel="C0PAY", text="before")
    assert posted["message"]["text"] == "before"

    updated = client.chat_update(
        channel="C0PAY", ts=posted["ts"], text="after", blocks=[{"type": "divider"}]
    )
    assert updated["ts"] == posted["ts"]
    [msg] = console.messages("C0PAY")
    assert msg["text"] == "after"
    assert msg["blocks"][0]["type"] == "divider"

    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C0PAY", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"

    client.chat_delete(channel="C0PAY", ts=posted["ts"])
    assert console.messages("C0PAY") == []


def test_post_message_errors_and_form_encoded_blocks(console: SlackConsole) -> None:
    with pytest.raises(SlackApiError) as err:
        api(console).chat_postMessage(channel="C0NOPE", text="x")
    assert err.value.response["error"] == "channel_not_found"

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*form*"}}]
    resp = requests.post(
        console.api_url + "chat.postMessage",
        timeout=5,
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"channel": "C0OPS", "text": "fallback", "blocks": json.dumps(blocks)},
    )
    assert resp.status_code == 200 and resp.json()["ok"] is True
    assert console.messages("C0OPS")[0]["blocks"][0]["text"]["text"] == "*form*"


def test_post_to_user_id_opens_dm(console: SlackConsole) -> None:
    resp = api(console).chat_postMessage(channel="U0BOB", text="psst")
    assert resp["channel"].startswith("D")
    assert console.messages(resp["channel"])[0]["text"] == "psst"
    state = requests.get(f"{console.base_url}/console/state?user=U0BOB", timeout=5).json()
    assert resp["channel"] in [c["id"] for c in state["channels"]]
    other = requests.get(f"{console.base_url}/console/state?user=U0ALICE", timeout=5).json()
    assert resp["channel"] not in [c["id"] for c in other["channels"]]


def test_users_and_conversations(console: SlackConsole) -> None:
    client = api(console)
    found = client.users_lookupByEmail(email="bob@example.com")
    assert found["user"]["id"] == "U0BOB"
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.com")
    assert err.value.response["error"] == "users_not_found"
    assert client.users_info(user="U0ALICE")["user"]["profile"]["email"] == "alice@example.com"

    assert client.conversations_info(channel="C0PAY")["channel"]["name"] == "payments"
    assert client.conversations_info(channel="C0PAY")["channel"]["is_member"] is False
    client.conversations_join(channel="C0PAY")
    assert client.conversations_info(channel="C0PAY")["channel"]["is_member"] is True
    members = client.conversations_members(channel="C0PAY")["members"]
    assert set(members) == {"U0ALICE", "U0BOB", "U0BOT"}
    names = {c["name"] for c in client.conversations_list()["channels"]}
    assert names == {"payments", "ops"}


def test_files_upload_v2_end_to_end(console: SlackConsole) -> None:
    content = b"\x89PNG\r\n\x1a\nnot-really-a-png"
    resp = api(console).files_upload_v2(
        channel="C0PAY",
        content=content,
        filename="chart.png",
        title="Spend chart",
        initial_comment="weekly spend",
    )
    file_id = resp["file"]["id"]
    assert console.files[file_id] == content
    [msg] = console.messages("C0PAY")
    assert msg["files"] == [file_id]
    assert msg["text"] == "weekly spend"
    served = requests.get(f"{console.base_url}/files/{file_id}", timeout=5)
    assert served.content == content
    assert served.headers["Content-Type"] == "image/png"
    assert resp["file"]["title"] == "Spend chart"


def test_multipart_upload_without_sharing(console: SlackConsole) -> None:
    client = api(console)
    reserved = client.files_getUploadURLExternal(filename="report.csv", length=7)
    assert reserved["upload_url"].startswith(console.base_url)
    posted = requests.post(
        reserved["upload_url"], files={"file": ("report.csv", b"a,b\n1,2")}, timeout=5
    )
    assert posted.status_code == 200
    done = client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
    assert done["files"][0]["mimetype"] == "text/csv"
    assert console.files[reserved["file_id"]] == b"a,b\n1,2"
    assert console.messages("C0PAY") == console.messages("C0OPS") == []  # not shared anywhere
    with pytest.raises(SlackApiError) as err:
        client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C0PAY")
    assert err.value.response["error"] == "file_not_found"


def test_unknown_method_and_bad_token(console: SlackConsole) -> None:
    with pytest.raises(SlackApiError) as err:
        api(console).api_call("nope.nothing")
    assert err.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as err:
        api(console, token="xoxb-wrong").auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert api(console).auth_test()["user_id"] == "U0BOT"
    assert [c["error"] for c in console.calls()] == ["unknown_method", "invalid_auth", None]


def test_views_open_needs_a_real_trigger(console: SlackConsole) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    with pytest.raises(SlackApiError) as err:
        api(console).views_open(trigger_id="made-up", view=view)
    assert err.value.response["error"] == "invalid_trigger_id"


# ------------------------------------------------------------- response_url
def test_response_url_rules(console: SlackConsole, bot: Bot) -> None:
    console.send_command(user_id="U0ALICE", channel_id="C0PAY", text="/echo x")
    url = console.wait_for(lambda: bot.commands)[0]["response_url"]
    console.wait_for(lambda: console.ephemerals("U0ALICE"))

    resp = requests.post(url, json={"text": "public", "response_type": "in_channel"}, timeout=5)
    assert (resp.status_code, resp.text) == (200, "ok")
    assert console.messages("C0PAY")[0]["text"] == "public"
    assert requests.post(url, json={}, timeout=5).status_code == 400  # no_text
    for _ in range(2):
        requests.post(url, json={"text": "again"}, timeout=5)
    used = requests.post(url, json={"text": "sixth"}, timeout=5)
    assert (used.status_code, used.text) == (404, "used_url")
    assert (
        requests.post(
            console.base_url + "/response/nope", json={"text": "x"}, timeout=5
        ).status_code
        == 404
    )


def test_wait_for_timeout_message(console: SlackConsole) -> None:
    with pytest.raises(AssertionError, match=r"still falsy after 0\.1s"):
        console.wait_for(lambda: console.messages("C0PAY"), timeout=0.1)
