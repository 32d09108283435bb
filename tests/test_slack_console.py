"""The Slack console against a real slack_bolt App, over real HTTP: commands, clicks, signatures."""

from __future__ import annotations

import pytest

from standins.slack_console import BackgroundServer, SlackConsole
from tests.slack_console_fixtures import (  # noqa: F401 - fixtures
    CHANNELS,
    ECHO_BLOCKS_ACTION,
    TOKEN,
    USERS,
    Bot,
    api,
    bot,
    console,
)


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
