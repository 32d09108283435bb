"""Verification before anything: a request that fails it is answered 401 (400 for an
unparsable body, 413 for an oversized one) and causes nothing — no listener, no error
handler, no outbound call, no database write. Through real HTTP to the real bot."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.dispatch import allowed_response_url
from standins.slack_console.state import ResponseTarget
from tests.conftest import SIGNING_SECRET, SlackStack, slack_signature
from tests.slack_requests import (  # noqa: F401 - module_stack is a fixture
    Trap,
    command_form,
    module_stack,
    payload_form,
    post_raw,
    row_counts,
    tracebacks,
    trap_server,
)


@pytest.fixture
def trap() -> Iterator[Trap]:
    with trap_server() as server:
        yield server


def _urls(stack: SlackStack, trap: Trap) -> list[str]:
    """A response_url on an outside host, and a live one on the console (allowed host)."""
    console = stack.console
    with console.state.lock:
        live = console._response_url(ResponseTarget(user_id="U0DEV", channel_id="C0PAY"))
    return [f"{trap.url}/x", live]


def _bodies(url: str) -> dict[str, tuple[str, str]]:
    """Bodies that would make the bot act (or fail loudly) if they got through."""
    click = {
        "type": "block_actions",
        "user": {"id": "U0DEV"},
        "actions": [{"action_id": "cleanup_approve", "value": "1"}],
        "response_url": url,
    }
    form = "application/x-www-form-urlencoded"
    return {
        "help": (command_form("/finops", "help", response_url=url), form),
        "cost": (command_form("/cost", "team=payments", response_url=url), form),
        "click": (payload_form(click), form),
        "actions-empty": (payload_form({**click, "actions": []}), form),
        "view-closed-junk": (payload_form({"type": "view_closed", "response_url": url}), form),
        "json-junk": ("{{{", "application/json"),
    }


HOOK = "https://hooks.slack.com/commands/T0LOCAL/1/test"  # answered in the ack: never posted
#: (name, timestamp header ({now}, {stale}, {future} filled in when sent) or None for none,
#: signature: "good", "other" (another secret), "none" or a literal)
UNVERIFIED: list[tuple[str, str | None, str]] = [
    ("timestamp abc", "abc", "good"),
    ("timestamp 1e3", "1e3", "good"),
    ("timestamp missing", None, "good"),
    ("timestamp empty", "", "good"),
    ("timestamp negative", "-1", "good"),
    ("timestamp with a sign", "+{now}", "good"),
    ("timestamp float", "{now}.5", "good"),
    ("timestamp huge", "9" * 40, "good"),
    ("timestamp stale", "{stale}", "good"),
    ("timestamp future", "{future}", "good"),
    ("signature wrong", "{now}", "v0=" + "0" * 64),
    ("signature missing", "{now}", "none"),
    ("signature other secret", "{now}", "other"),
    ("signature v1", "{now}", "v1=" + "a" * 64),
    ("signature truncated", "{now}", "v0=abc"),
    ("signature upper-case junk", "{now}", "V0=" + "Z" * 64),
]


def _send(stack: SlackStack, body: str, content_type: str, ts: str | None, sig: str) -> Any:
    now = int(time.time())  # at sending time: the suite may run long after collection
    timestamp = None if ts is None else ts.format(now=now, stale=now - 600, future=now + 600)
    if sig == "good":
        signature = slack_signature(SIGNING_SECRET, timestamp or "", body)
    elif sig == "other":
        signature = slack_signature("not-the-secret", timestamp or "", body)
    else:
        signature = sig
    headers = {"Content-Type": content_type}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if sig != "none":
        headers["X-Slack-Signature"] = signature
    import requests

    return requests.post(f"{stack.url}/slack/events", data=body, headers=headers, timeout=10)


def _before(stack: SlackStack) -> dict[str, Any]:
    return {
        "calls": stack.console.calls(),
        "rows": row_counts(stack.services.db),
        "ephemerals": stack.console.ephemerals("U0DEV"),
    }


def _nothing_happened(stack: SlackStack, trap: Trap, before: dict[str, Any]) -> None:
    time.sleep(0.3)  # anything the bot would have sent in the background
    assert trap.hits == []
    assert stack.console.calls() == before["calls"]
    assert stack.console.ephemerals("U0DEV") == before["ephemerals"]
    assert row_counts(stack.services.db) == before["rows"]


@pytest.mark.parametrize(("name", "ts", "sig"), UNVERIFIED, ids=[u[0] for u in UNVERIFIED])
def test_unverified_requests_get_401_and_cause_nothing(
    module_stack: SlackStack,
    trap: Trap,
    caplog: pytest.LogCaptureFixture,
    name: str,
    ts: str | None,
    sig: str,
) -> None:
    caplog.set_level(logging.INFO)
    before = _before(module_stack)
    for url in _urls(module_stack, trap):
        for kind, (body, content_type) in _bodies(url).items():
            answer = _send(module_stack, body, content_type, ts, sig)
            assert answer.status_code == 401, (name, kind, answer.text)
            assert "finops-bot commands" not in answer.text
    _nothing_happened(module_stack, trap, before)
    assert not any("listener failed" in r.getMessage() for r in caplog.records)
    assert tracebacks(caplog.records) == []


SIGNED_UNPARSABLE: list[tuple[str, bytes, str]] = [
    ("json junk", b"{{{", "application/json"),
    ("json list", b"[1, 2]", "application/json"),
    ("json string", b'"x"', "application/json"),
    ("form payload junk", b"payload=%7B%7B%7B", "application/x-www-form-urlencoded"),
    ("form payload list", b"payload=%5B%5D", "application/x-www-form-urlencoded"),
    ("form payload null", b"payload=null", "application/x-www-form-urlencoded"),
    ("not utf-8", b"command=/finops&text=\xff\xfe", "application/x-www-form-urlencoded"),
    ("form without =", b"command", "application/x-www-form-urlencoded"),
    ("brace form", b"{command=/finops", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(
    ("name", "body", "content_type"), SIGNED_UNPARSABLE, ids=[s[0] for s in SIGNED_UNPARSABLE]
)
def test_signed_but_unparsable_bodies_get_400_and_cause_nothing(
    module_stack: SlackStack,
    trap: Trap,
    caplog: pytest.LogCaptureFixture,
    name: str,
    body: bytes,
    content_type: str,
) -> None:
    before = _before(module_stack)
    answer = post_raw(module_stack.url, body, content_type=content_type)
    assert answer.status_code == 400, answer.text
    _nothing_happened(module_stack, trap, before)
    assert tracebacks(caplog.records) == []


def test_an_oversized_body_is_refused_unread(module_stack: SlackStack, trap: Trap) -> None:
    before = _before(module_stack)
    body = command_form("/finops", "x" * 1_100_000, response_url=f"{trap.url}/x")
    assert post_raw(module_stack.url, body).status_code == 413
    _nothing_happened(module_stack, trap, before)


def test_a_verified_request_still_works_after_the_refusals(module_stack: SlackStack) -> None:
    answer = post_raw(module_stack.url, command_form("/finops", "help", response_url=HOOK))
    assert answer.status_code == 200
    assert answer.json()["text"] == "finops-bot commands"


def test_without_a_signing_secret_nothing_is_accepted(module_stack: SlackStack) -> None:
    from dataclasses import replace

    services = module_stack.services
    saved = services.settings
    services.settings = replace(saved, slack_signing_secret=None)
    try:
        answer = post_raw(module_stack.url, command_form("/finops", "help", response_url=HOOK))
    finally:
        services.settings = saved
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T1/2/abc", True),
        ("http://hooks.slack.com/commands/T1/2/abc", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://evil.example/https://hooks.slack.com/", False),
        ("http://127.0.0.1:9/response/1", False),
        ("file:///etc/passwd", False),
        (None, False),
        (["https://hooks.slack.com/x"], False),
    ],
)
def test_the_error_handler_posts_only_to_slack_response_urls(
    module_stack: SlackStack, url: Any, allowed: bool
) -> None:
    assert allowed_response_url(url, module_stack.services) is allowed


def test_the_console_host_is_allowed_in_tests_but_not_other_ports(module_stack: SlackStack) -> None:
    base = module_stack.console.base_url
    assert allowed_response_url(f"{base}/response/abc", module_stack.services)
    host, port = base.rsplit(":", 1)
    assert not allowed_response_url(f"{host}:{int(port) + 1}/response/abc", module_stack.services)


def test_a_failing_listener_answers_only_on_the_verified_requests_response_url(
    module_stack: SlackStack, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listener that raises: the user is told through the request's own (Slack) URL;
    a response_url on another host is never called."""
    import handlers.cost as cost_handlers

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cost_handlers, "answer_cost", broken)
    console = module_stack.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/cost team=payments")
    console.wait_for(
        lambda: any("went wrong" in m["text"] for m in console.ephemerals("U0DEV")), timeout=10
    )
    outside = command_form("/cost", "team=payments", response_url=f"{trap.url}/x")
    assert post_raw(module_stack.url, outside).status_code == 200
    time.sleep(0.5)
    assert trap.hits == []
    assert json.dumps(trap.hits) == "[]"
