"""The console stand-in answers 429 (with Retry-After) or errors for chosen calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standins.slack_console import SlackConsole

TOKEN = "xoxb-faults"


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    with SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret="s",
        bot_token=TOKEN,
        channels={"C0PAY": "payments", "C0FINOPS": "finops"},
        users={"U0BOB": {"name": "bob", "email": "bob@example.com"}},
    ) as running:
        yield running


def api(console: SlackConsole) -> WebClient:
    return WebClient(token=TOKEN, base_url=console.api_url, retry_handlers=[])


def test_429_with_retry_after_for_one_method_and_channel_only(console: SlackConsole) -> None:
    answer = requests.post(
        f"{console.base_url}/_console/faults",
        json={"method": "chat.postMessage", "channel": "#payments", "retry_after": 7, "times": 2},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["faults"][0]["retry_after"] == 7
    client = api(console)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C0PAY", text="hi")
        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "7"
        assert caught.value.response["error"] == "ratelimited"
    # other channels and methods were never affected; the third call goes through
    assert client.chat_postMessage(channel="C0FINOPS", text="elsewhere")["ok"]
    assert client.chat_postMessage(channel="C0PAY", text="third")["ok"]
    assert [m["text"] for m in console.messages("C0PAY")] == ["third"]
    listed = requests.get(f"{console.base_url}/_console/faults", timeout=5).json()["faults"]
    assert listed[0]["hits"] == 2
    calls = [(c["ok"], c["error"]) for c in console.calls("chat.postMessage")]
    assert calls == [(False, "ratelimited"), (False, "ratelimited"), (True, None), (True, None)]


def test_an_error_fault_until_cleared(console: SlackConsole) -> None:
    console.fail("chat.update", error="internal_error", status=500)
    client = api(console)
    posted = client.chat_postMessage(channel="C0PAY", text="v1")
    for _ in range(3):
        with pytest.raises(SlackApiError) as caught:
            client.chat_update(channel="C0PAY", ts=posted["ts"], text="v2")
        assert caught.value.response.status_code == 500
        assert caught.value.response["error"] == "internal_error"
    assert requests.delete(f"{console.base_url}/_console/faults", timeout=5).json()["faults"] == []
    client.chat_update(channel="C0PAY", ts=posted["ts"], text="v2")
    assert [m["text"] for m in console.messages("C0PAY")] == ["v2"]


def test_after_carries_the_call_out_and_loses_the_answer(console: SlackConsole) -> None:
    console.fail("chat.postMessage", error="internal_error", status=500, times=1, after=True)
    client = api(console)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(
            channel="C0PAY",
            text="landed",
            metadata={"event_type": "t", "event_payload": {"k": "v"}},
        )
    history = client.conversations_history(channel="C0PAY", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["landed"]
    assert history["messages"][0]["metadata"]["event_payload"] == {"k": "v"}


def test_malformed_fault_is_refused(console: SlackConsole) -> None:
    answer = requests.post(f"{console.base_url}/_console/faults", json={"channel": "x"}, timeout=5)
    assert answer.status_code == 400 and "method" in answer.json()["error"]
    answer = requests.post(f"{console.base_url}/_console/faults", data=b"{{{", timeout=5)
    assert answer.status_code == 400
    assert requests.get(f"{console.base_url}/_console/faults", timeout=5).json()["faults"] == []
