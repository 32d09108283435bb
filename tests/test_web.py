"""The bot over HTTP: health, signature checks, help and unknown input."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import requests

from bot.services import Services
from bot.web import BotWsgi
from storage.migrate import head_revision
from tests.conftest import SIGNING_SECRET, SlackStack, slack_signature


def command_body(command: str, text: str = "") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0LOCAL",
            "channel_id": "C0PAY",
            "user_id": "U0DEV",
            "user_name": "sam",
            "command": command,
            "text": text,
            "response_url": "https://hooks.slack.com/commands/T0LOCAL/1/test",
            "trigger_id": "1.2.3",
        }
    )


def post(url: str, body: str, *, secret: str = SIGNING_SECRET, age: int = 0) -> requests.Response:
    timestamp = str(int(time.time()) - age)
    return requests.post(
        f"{url}/slack/events",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": slack_signature(secret, timestamp, body),
        },
        timeout=5,
    )


def test_healthz_reports_database_and_config(slack_stack: SlackStack) -> None:
    answer = requests.get(f"{slack_stack.url}/healthz", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "config": "loaded",
        "teams": 2,
        "schema": head_revision(slack_stack.services.db.engine),
    }


def test_healthz_is_503_when_the_database_is_gone(services: Services) -> None:
    from storage.db import Database

    services.db = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    wsgi = BotWsgi.__new__(BotWsgi)
    wsgi._services, wsgi._answers = services, None
    status, body = wsgi.health()
    assert status == 503
    assert body["database"] == "unreachable"


def test_signed_help_command_is_answered(bot_server: str) -> None:
    answer = post(bot_server, command_body("/finops", "help"))
    assert answer.status_code == 200
    payload = answer.json()
    assert payload["text"] == "finops-bot commands"
    assert "/finops help" in json.dumps(payload["blocks"])


def test_wrong_signature_and_stale_requests_get_401(bot_server: str) -> None:
    body = command_body("/finops", "help")
    wrong = post(bot_server, body, secret="not-the-secret")
    stale = post(bot_server, body, age=60 * 10)
    unsigned = requests.post(
        f"{bot_server}/slack/events",
        data=body,
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    for answer in (wrong, stale, unsigned):
        assert answer.status_code == 401
        assert "finops-bot commands" not in answer.text


def test_unknown_argument_gets_a_helpful_ephemeral(bot_server: str) -> None:
    answer = post(bot_server, command_body("/finops", "hepl"))
    assert answer.status_code == 200
    assert 'Unknown argument "hepl" — did you mean help?' in answer.json()["text"]


def test_unknown_command_gets_a_helpful_ephemeral(bot_server: str) -> None:
    answer = post(bot_server, command_body("/finopz"))
    assert answer.status_code == 200
    text = answer.json()["text"]
    assert "does not know `/finopz` — did you mean /finops?" in text


def test_other_paths_and_methods(bot_server: str) -> None:
    assert requests.get(f"{bot_server}/slack/events", timeout=5).status_code == 405
    assert requests.get(f"{bot_server}/nope", timeout=5).status_code == 404
