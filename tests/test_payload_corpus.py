"""The malformed-payload corpus: signed requests of every broken shape, through real HTTP to
the real bot. None gets HTTP 500, none leaves a traceback in the logs, and every button
whose value does not decode gets the one central answer."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.dispatch import OUT_OF_DATE
from handlers import ACTIONS
from tests.conftest import BOT_TOKEN, SlackStack
from tests.slack_requests import (  # noqa: F401 - module_stack is a fixture
    command_form,
    module_stack,
    payload_form,
    post_raw,
    tracebacks,
)

#: Values no renderer ever put in a button, tried on every registered button.
BAD_VALUES = [
    "1" * 25,  # an int too large for any database column
    "[]",
    '["1"]',
    '{"kind":"nope","offset":0}',
    "not json",
    '{"k":1,"r":[],"a":null,"id":{}}',
    "-5",
    "null",
]
#: Values of the right shape that no longer fit the configuration.
STALE_VALUES = {
    "orphans_request_cleanup": '{"k":"volume","r":"ap-south-9","a":"1","id":"vol-1"}',
    "orphans_show_more": '{"kind":"nope","offset":20}',
    "tags_ask_owner": '{"id":"i-1","t":"ec2:instance","r":"us-east-1","a":"1","m":[],"o":"evil"}',
    "cost_share": '{"q":{"team":["payments"]},"f":""}',
}


def _button_message(client: WebClient, action_id: str, values: list[str]) -> str:
    blocks = [
        {
            "type": "actions",
            "block_id": f"b{n}",
            "elements": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "text": {"type": "plain_text", "text": "Click"},
                    "value": value,
                }
            ],
        }
        for n, value in enumerate(values)
    ]
    return str(client.chat_postMessage(channel="C0PAY", text="junk", blocks=blocks)["ts"])


def _user() -> dict[str, Any]:
    return {"id": "U0DEV", "username": "sam", "team_id": "T0LOCAL"}


def _click(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(),
        "team": {"id": "T0LOCAL"},
        "channel": {"id": "C0PAY"},
        "actions": [{"action_id": "cleanup_approve", "block_id": "b", "value": "1"}],
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _view(kind: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": kind,
        "user": _user(),
        "team": {"id": "T0LOCAL"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "no_such_modal",
            "private_metadata": "{}",
        },
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


#: Structural junk: (name, body, content type).
FORM = "application/x-www-form-urlencoded"
STRUCTURAL: list[tuple[str, str, str]] = [
    ("no user", payload_form(_click(user=...)), FORM),
    ("user null", payload_form(_click(user=None)), FORM),
    ("user a list", payload_form(_click(user=["U0DEV"])), FORM),
    ("user a string", payload_form(_click(user="U0DEV")), FORM),
    ("user id an int", payload_form(_click(user={"id": 5})), FORM),
    ("user without id", payload_form(_click(user={"name": "sam"})), FORM),
    ("actions empty", payload_form(_click(actions=[])), FORM),
    ("actions missing", payload_form(_click(actions=...)), FORM),
    ("actions a string", payload_form(_click(actions="cleanup_approve")), FORM),
    ("actions a dict", payload_form(_click(actions={"action_id": "x"})), FORM),
    ("action an int", payload_form(_click(actions=[1])), FORM),
    ("action empty", payload_form(_click(actions=[{}])), FORM),
    ("action id an int", payload_form(_click(actions=[{"action_id": 5}])), FORM),
    (
        "action value a list",
        payload_form(_click(actions=[{"action_id": "a", "value": ["1"]}])),
        FORM,
    ),
    ("action value an int", payload_form(_click(actions=[{"action_id": "a", "value": 1}])), FORM),
    ("too many actions", payload_form(_click(actions=[{"action_id": "a"}] * 6)), FORM),
    (
        "unknown action id",
        payload_form(_click(actions=[{"action_id": "nope", "value": "1"}])),
        FORM,
    ),
    ("team a string", payload_form(_click(team="T0LOCAL")), FORM),
    ("channel a list", payload_form(_click(channel=["C0PAY"])), FORM),
    ("container a string", payload_form(_click(container="x")), FORM),
    ("message a list", payload_form(_click(message=[])), FORM),
    ("response_url a dict", payload_form(_click(response_url={"u": 1})), FORM),
    ("response_url elsewhere", payload_form(_click(response_url="http://127.0.0.1:1/x")), FORM),
    ("no type", payload_form(_click(type=...)), FORM),
    ("type an int", payload_form(_click(type=5)), FORM),
    ("type unknown", payload_form(_click(type="nope")), FORM),
    ("empty payload object", payload_form({}), FORM),
    ("block_actions as JSON body", json.dumps(_click(actions=[])), "application/json"),
    ("view_submission no view", payload_form(_view("view_submission", view=...)), FORM),
    ("view_submission view a list", payload_form(_view("view_submission", view=[])), FORM),
    ("view_submission no user", payload_form(_view("view_submission", user=...)), FORM),
    (
        "view_submission metadata a dict",
        payload_form(_view("view_submission", view={"callback_id": "x", "private_metadata": {}})),
        FORM,
    ),
    (
        "view_submission callback an int",
        payload_form(_view("view_submission", view={"callback_id": 7})),
        FORM,
    ),
    ("view_submission unknown modal", payload_form(_view("view_submission")), FORM),
    ("view_closed junk", payload_form({"type": "view_closed", "view": "x"}), FORM),
    ("view_closed no user", payload_form(_view("view_closed", user=...)), FORM),
    ("view_closed unknown modal", payload_form(_view("view_closed")), FORM),
    ("view without type", payload_form(_view("view_submission", view={"callback_id": "x"})), FORM),
    ("event without event", json.dumps({"type": "event_callback"}), "application/json"),
    ("event a list", json.dumps({"type": "event_callback", "event": []}), "application/json"),
    ("event without type", json.dumps({"type": "event_callback", "event": {}}), "application/json"),
    ("url_verification no challenge", json.dumps({"type": "url_verification"}), "application/json"),
    ("command without user", command_form("/finops", "help", response_url="x", user_id=""), FORM),
    (
        "command without slash",
        command_form("finops", "help", response_url="https://hooks.slack.com/x"),
        FORM,
    ),
    ("command empty", command_form("", "", response_url="https://hooks.slack.com/x"), FORM),
    (
        "command text huge",
        command_form("/finops", "x" * 5000, response_url="https://hooks.slack.com/x"),
        FORM,
    ),
    ("form with nothing known", "token=x&team_id=T0LOCAL", FORM),
    ("empty body", "", FORM),
]


def test_every_signed_malformed_shape_is_answered_without_500_or_traceback(
    module_stack: SlackStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    console = module_stack.console
    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    action_ids = sorted({str(action_id) for action_id, _, _ in ACTIONS})
    clicks: list[tuple[str, str, str]] = []  # (message id, action id, block id)
    for action_id in action_ids:
        values = BAD_VALUES + ([STALE_VALUES[action_id]] if action_id in STALE_VALUES else [])
        ts = _button_message(client, action_id, values)
        message = next(m for m in console.messages("C0PAY") if m["ts"] == ts)
        clicks += [(message["id"], action_id, f"b{n}") for n in range(len(values))]
    statuses: dict[str, int] = {}
    for message_id, action_id, block_id in clicks:
        delivery = console.click(
            user_id="U0DEV", message_id=message_id, action_id=action_id, block_id=block_id
        )
        statuses[f"{action_id}/{block_id}"] = delivery.status
    for name, body, content_type in STRUCTURAL:
        statuses[name] = post_raw(module_stack.url, body, content_type=content_type).status_code
    total = len(clicks) + len(STRUCTURAL)
    assert total >= 107
    assert {k: v for k, v in statuses.items() if v >= 500} == {}
    assert set(statuses.values()) <= {200, 404}, statuses
    # every bad button got the central answer, exactly once
    console.wait_for(lambda: _out_of_date(module_stack) >= len(clicks), timeout=30)
    time.sleep(0.5)
    assert _out_of_date(module_stack) == len(clicks)
    assert tracebacks(caplog.records) == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    logged = [r.getMessage() for r in caplog.records if "out-of-date" in r.getMessage()]
    assert len(logged) >= len(clicks)


def _out_of_date(stack: SlackStack) -> int:
    return sum(OUT_OF_DATE in m["text"] for m in stack.console.ephemerals("U0DEV"))


def test_an_unknown_button_in_an_old_message_gets_the_central_answer(
    module_stack: SlackStack,
) -> None:
    console = module_stack.console
    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    ts = _button_message(client, "retired_button", ["1"])
    message = next(m for m in console.messages("C0PAY") if m["ts"] == ts)
    seen = _out_of_date(module_stack)
    assert console.click(user_id="U0DEV", message_id=message["id"], action_id="retired_button").ok
    console.wait_for(lambda: _out_of_date(module_stack) == seen + 1, timeout=10)
