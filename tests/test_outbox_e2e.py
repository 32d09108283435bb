"""The outbox end to end, through the real bot and the console stand-in: 429s, redraws,
undeliverable channels, lost answers."""

from __future__ import annotations

import json
import time

import pytest

from bot.remediation import requests as store
from bot.slack.worker import pending
from storage import outbox
from tests.outbox_fixtures import (  # noqa: F401 - fixtures
    Stack,
    answer_to,
    approvals,
    console,
    moto_env,
    moto_url,
    request_cleanup,
    stack,
)


def test_approval_request_is_delivered_once_in_its_channel_after_429s(stack: Stack) -> None:
    console = stack.console
    volume = stack.estate.volume(100, "gp2", "payments")
    console.fail("chat.postMessage", channel="C0PAY", retry_after=1, times=3)
    request_cleanup(console, volume)
    queued = console.wait_for(lambda: answer_to(console, "U0DEV", "queued for"), timeout=10)
    assert "<#C0PAY>" in queued[-1]["text"] and "Slack is rate limiting" in queued[-1]["text"]
    posted = console.wait_for(lambda: approvals(console, "C0PAY", volume), timeout=15)
    time.sleep(1.5)  # a duplicate would have come by now
    assert len(approvals(console, "C0PAY", volume)) == 1
    assert approvals(console, "C0FINOPS", volume) == []  # never misrouted
    assert "cleanup_approve" in json.dumps(posted[0]["blocks"])
    tries = [c["ok"] for c in console.calls("chat.postMessage") if c["args"]["channel"] == "C0PAY"]
    assert tries == [False, False, False, True]
    with stack.services.db.session() as session:
        request = store.get_request(session, 1)
        row = outbox.find(session, outbox.approval_key(1))
    assert request is not None and request.state == "pending"
    assert request.message_ts == posted[0]["ts"] and request.channel == "C0PAY"
    assert row is not None and row.state == "delivered" and row.ts == posted[0]["ts"]
    # the requester's copy names the channel once the approval is out
    dm = console.wait_for(
        lambda: [m for m in console.messages("D0DEV") if "C0PAY" in json.dumps(m["blocks"])]
    )
    assert len(console.messages("D0DEV")) == 1 and dm
    # not locked out: the request is simply pending, and says so
    request_cleanup(console, volume)
    console.wait_for(lambda: answer_to(console, "U0DEV", "already has cleanup request #1"))


def test_redraw_after_a_429_ends_in_the_real_state(stack: Stack) -> None:
    console = stack.console
    volume = stack.estate.volume(100, "gp2", "payments")
    request_cleanup(console, volume)
    console.wait_for(lambda: answer_to(console, "U0DEV", "is pending approval"), timeout=10)
    message = approvals(console, "C0PAY", volume)[0]
    console.fail("chat.update", channel="C0PAY", retry_after=1, times=2)
    console.click(user_id="U0LEAD", message_id=message["id"], action_id="cleanup_approve")

    def redrawn() -> bool:
        now = approvals(console, "C0PAY", volume)[0]
        return "done:" in json.dumps(now["blocks"]) and now["id"] == message["id"]

    console.wait_for(redrawn, timeout=20)
    final = approvals(console, "C0PAY", volume)
    assert len(final) == 1 and "cleanup_approve" not in json.dumps(final[0]["blocks"])
    updates = [c["ok"] for c in console.calls("chat.update") if c["args"]["channel"] == "C0PAY"]
    assert updates[:2] == [False, False] and updates[-1] is True
    assert len(updates) <= 4  # approved + executed coalesced into the redraws after the 429s
    left = stack.estate.ec2().describe_volumes(Filters=[{"Name": "volume-id", "Values": [volume]}])
    assert left["Volumes"] == []
    assert [r.dedupe_key for r in pending(stack.services)] == []


def test_undeliverable_is_reported_to_default_channel_and_kept(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    console = stack.console
    volume = stack.estate.volume(100, "gp2", "payments")
    console.fail("chat.postMessage", channel="C0PAY", error="not_in_channel")
    request_cleanup(console, volume)
    refusal = console.wait_for(lambda: answer_to(console, "U0DEV", "cannot be posted"), timeout=15)
    assert "not_in_channel" in refusal[-1]["text"] and "<#C0FINOPS>" in json.dumps(
        refusal[-1]["blocks"]
    )
    report = console.wait_for(
        lambda: [m for m in console.messages("C0FINOPS") if "Could not deliver" in m["text"]]
    )
    assert "not_in_channel" in report[0]["text"] and "<#C0PAY>" in report[0]["text"]
    assert approvals(console, "C0FINOPS", volume) == []  # reported, never posted there
    from bot.slack import commands

    class Args:
        command = "outbox"
        outbox_action = None
        format = "table"

    assert commands.run(Args(), stack.services) == 0  # type: ignore[arg-type]
    listed = capsys.readouterr().out
    assert "failed" in listed and "request:1:approval" in listed and "not_in_channel" in listed
    # fixed: an admin retries, and it lands in #payments
    console.clear_faults()
    row_id = next(r.id for r in pending(stack.services) if r.dedupe_key == "request:1:approval")
    assert commands._retry(stack.services, row_id) == 0
    assert len(approvals(console, "C0PAY", volume)) == 1


def test_a_lost_answer_is_not_posted_twice(stack: Stack) -> None:
    console = stack.console
    volume = stack.estate.volume(100, "gp2", "payments")
    # Slack takes the post but the answer never arrives (HTTP 500 after the fact)
    console.fail(
        "chat.postMessage", channel="C0PAY", error="internal_error", status=500, after=True, times=1
    )
    request_cleanup(console, volume)
    console.wait_for(lambda: answer_to(console, "U0DEV", "queued for"), timeout=10)

    def found() -> bool:
        with stack.services.db.session() as session:
            row = outbox.find(session, outbox.approval_key(1))
            request = store.get_request(session, 1)
        # the request learns its message's ts just after the row is marked delivered
        delivered = row is not None and row.state == "delivered"
        return delivered and request is not None and request.message_ts is not None

    console.wait_for(found, timeout=15)
    assert len(approvals(console, "C0PAY", volume)) == 1
    assert console.calls("conversations.history")  # it looked before posting again
    with stack.services.db.session() as session:
        request = store.get_request(session, 1)
    assert request is not None
    assert request.message_ts == approvals(console, "C0PAY", volume)[0]["ts"]
