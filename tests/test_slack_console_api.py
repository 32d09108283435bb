"""The Slack console's Web API: messages, users, conversations, files, views, response_url rules."""

from __future__ import annotations

import json

import pytest
import requests
from slack_sdk.errors import SlackApiError

from standins.slack_console import SlackConsole
from tests.slack_console_fixtures import (  # noqa: F401 - fixtures
    TOKEN,
    Bot,
    api,
    bot,
    console,
)


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
