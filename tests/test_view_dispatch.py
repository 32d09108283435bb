"""Modal submissions go through the same dispatcher: private_metadata decoded once with the
model registered for the modal, its ack (validation errors) returned to Slack."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

import handlers
from bot.payloads import ModalMetadata
from standins.slack_console import SlackConsole
from tests.conftest import BOT_TOKEN, CHANNELS, SIGNING_SECRET, USERS
from tests.dispatch_fixtures import replica
from tests.slack_requests import payload_form, post_raw, tracebacks


class ReasonMetadata(ModalMetadata):
    """What a reject-with-reason modal would carry."""

    request_id: int = Field(ge=1, le=2**63 - 1)


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


def _submission(metadata: str, reason: str) -> str:
    return payload_form(
        {
            "type": "view_submission",
            "user": {"id": "U0LEAD"},
            "team": {"id": "T0LOCAL"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "reject_reason",
                "private_metadata": metadata,
                "state": {
                    "values": {"r": {"reason": {"type": "plain_text_input", "value": reason}}}
                },
            },
        }
    )


def test_modal_metadata_is_decoded_once_and_the_handlers_ack_returned(
    monkeypatch: pytest.MonkeyPatch,
    config_file: Path,
    sqlite_url: str,
    console: SlackConsole,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    got: list[int] = []

    def on_submit(ack: Any, view: dict[str, Any], value: ReasonMetadata) -> None:
        reason = view["state"]["values"]["r"]["reason"]["value"]
        if not reason:
            ack(response_action="errors", errors={"r": "Say why"})
            return
        got.append(value.request_id)
        ack()

    monkeypatch.setattr(handlers, "VIEWS", [("reject_reason", on_submit, ReasonMetadata)])
    with replica(config_file, sqlite_url, console) as bot:
        ok = post_raw(bot.url, _submission('{"request_id":3}', "not ours"))
        assert ok.status_code == 200 and got == [3]
        errors = post_raw(bot.url, _submission('{"request_id":4}', ""))
        assert json.loads(errors.text) == {"response_action": "errors", "errors": {"r": "Say why"}}
        for bad in ('{"request_id":"3"}', '{"request_id":' + "9" * 30 + "}", "[]", "", "x"):
            answer = post_raw(bot.url, _submission(bad, "why"))
            assert answer.status_code == 200
        assert got == [3]
    assert tracebacks(caplog.records) == []
    assert sum("out-of-date" in r.getMessage() for r in caplog.records) == 5
