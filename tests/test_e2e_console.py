"""End to end: the console sends signed requests to the real bot, which answers through it."""

from __future__ import annotations

import json

from standins.slack_console import SlackConsole
from tests.conftest import BOT_TOKEN, SlackStack


def all_text(node: object) -> list[str]:
    """Every string inside a message (its text and its blocks)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for key, value in node.items() if key != "id" for t in all_text(value)]
    if isinstance(node, list):
        return [t for item in node for t in all_text(item)]
    return []


def test_help_arrives_as_an_ephemeral_for_the_asker(slack_stack: SlackStack) -> None:
    console = slack_stack.console
    delivery = console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/finops help")
    assert delivery.status == 200
    message = console.wait_for(lambda: console.ephemerals("U0DEV"))[-1]
    assert message["channel"] == "C0PAY"
    assert "/finops help" in json.dumps(message["blocks"])
    assert console.ephemerals("U0LEAD") == []  # nobody else sees it
    assert console.messages("C0PAY") == []


def test_unknown_command_and_argument_get_helpful_answers(slack_stack: SlackStack) -> None:
    console = slack_stack.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/finops halp")
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/costs team=payments")
    answers = console.wait_for(
        lambda: len(console.ephemerals("U0DEV")) >= 2 and console.ephemerals("U0DEV")
    )
    texts = [" ".join(all_text(m)) for m in answers]
    assert any('Unknown argument "halp" — did you mean help?' in t for t in texts), texts
    assert any("does not know `/costs`" in t and "`/finops`" in t for t in texts), texts
    assert not any("Traceback" in t for t in texts), texts


def test_a_wrongly_signed_console_is_refused_and_nothing_happens(slack_stack: SlackStack) -> None:
    impostor = SlackConsole(
        bot_url=slack_stack.console.bot_url,
        signing_secret="wrong-secret",
        bot_token=BOT_TOKEN,
        channels={"C0PAY": "payments"},
        users={"U0DEV": {"name": "sam", "email": "sam@example.com"}},
    )
    impostor.start()
    try:
        delivery = impostor.send_command(user_id="U0DEV", channel_id="C0PAY", text="/finops help")
        assert delivery.status == 401
        assert impostor.ephemerals("U0DEV") == []
        assert impostor.calls("chat.postMessage") == []
    finally:
        impostor.stop()


def test_bot_checks_its_token_against_the_web_api(slack_stack: SlackStack) -> None:
    console = slack_stack.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/finops")
    console.wait_for(lambda: console.ephemerals("U0DEV"))
    assert console.calls("auth.test"), "Bolt should verify its token with auth.test"
