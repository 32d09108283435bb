"""Done-when, in the demo: /orphans lists the seeded waste with correct monthly costs, and
requesting, approving and rejecting work from the console and show up in the audit log."""

from __future__ import annotations

import json
from typing import Any

from bot.demo import DemoStack
from standins.slack_console import SlackConsole
from tests.listing_helpers import settled


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def orphans(console: SlackConsole, user: str, channel: str, args: str = "") -> dict[str, Any]:
    before = len(console.ephemerals(user))
    console.send_command(user_id=user, channel_id=channel, text=f"/orphans {args}".strip())
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m for m in console.ephemerals(user)[before:] if "Waste:" in m["text"] and settled(m)
        ],
        timeout=30,
    )[-1]


def find_block(message: dict[str, Any], needle: str) -> dict[str, Any]:
    return next(b for b in message["blocks"] if needle in json.dumps(b))


def test_orphans_lists_the_seeded_waste_with_correct_costs(demo: DemoStack) -> None:
    answer = orphans(demo.console, "U0DEV", "C0FINOPS")
    text = text_of(answer)
    # us-east-1: 500 GiB gp3 $40.00, 100 GiB gp2 $10.00, idle ALB $16.43, EIPs $3.65 ...
    for cost in (
        "$40.00/month",
        "$44.00/month",
        "$10.00/month",
        "$11.00/month",
        "$16.43/month",
        "$18.40/month",
        "$3.65/month",
        "$4.40/month",
        "$1.50/month",
    ):
        assert cost in text, cost
    # The protected backup volumes ($4.00 + $4.40) are counted apart.
    assert "Waste: $184.99/month (all teams)" in answer["text"]
    assert ":lock: protected" in text  # the search backup volume: reported, no button
    assert len(answer["blocks"]) <= 50


def test_request_approve_and_reject_from_the_console_and_audit(demo: DemoStack) -> None:
    console = demo.console
    answer = orphans(console, "U0DEV", "C0FINOPS", "team=payments kind=volume region=us-east-1")
    block = find_block(answer, "100 GiB gp2")
    volume = block["block_id"]
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="orphans_request_cleanup",
        block_id=volume,
    )
    request = console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if volume in text_of(m)], timeout=15
    )[-1]
    assert "Approve" in text_of(request) and "$10.00/month" in text_of(request)
    pending = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "is pending approval" in m["text"]],
        timeout=10,
    )
    assert pending
    # a plain engineer may not approve: ephemeral refusal, nothing happens
    console.click(user_id="U0DEV", message_id=request["id"], action_id="cleanup_approve")
    refusal = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "can't approve" in m["text"]], timeout=10
    )
    assert "four-eyes" in refusal[-1]["text"]
    # the payments lead approves
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_approve")
    done = console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )[-1]
    assert "cleanup_approve" not in text_of(done) and "Restore volume" in text_of(done)
    dm = console.wait_for(
        lambda: [m for m in console.messages("D0DEV") if "executed" in m["text"]], timeout=10
    )
    assert dm
    # undo: the approver restores the volume from its pre-delete snapshot
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_restore")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and ":leftwards_arrow_with_hook:" in text_of(m)
        ],
        timeout=15,
    )
    # the search lead rejects a search address
    answer = orphans(console, "U0DEV", "C0FINOPS", "team=search kind=address")
    block = find_block(answer, "Request cleanup")
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="orphans_request_cleanup",
        block_id=block["block_id"],
    )
    search = console.wait_for(
        lambda: [m for m in console.messages("C0SRCH") if block["block_id"] in text_of(m)],
        timeout=15,
    )[-1]
    console.click(user_id="U0SLEAD", message_id=search["id"], action_id="cleanup_reject")
    console.wait_for(lambda: console.modal("U0SLEAD"), timeout=15)  # the optional reason
    console.submit_view(user_id="U0SLEAD", values={"reason": "we still need it"})
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0SRCH")
            if m["id"] == search["id"] and "Rejected by" in text_of(m)
        ],
        timeout=15,
    )
    from bot.audit_export import events
    from storage.db import Database

    rows = events(Database(demo.env["DATABASE_URL"]))
    statuses = [(r["status"], r["resource_id"]) for r in rows]
    assert ("executed", volume) in statuses and ("rejected", block["block_id"]) in statuses
    assert ("refused", volume) in statuses and ("approved", volume) in statuses
    assert ("restored", volume) in statuses
    rejected = next(r for r in rows if r["status"] == "rejected")
    assert rejected["result"] == "we still need it"
    executed = next(r for r in rows if r["status"] == "executed")
    assert executed["decided_by"] == "U0LEAD" and executed["requested_by"] == "U0DEV"
    assert executed["monthly_saving"] == "10.00"


def test_demo_ages_are_realistic_under_the_default_age_rules(demo: DemoStack) -> None:
    from bot.config import load_config
    from bot.demo.runner import DEMO_CONFIG

    rules = load_config(DEMO_CONFIG).remediation
    assert (rules.snapshot_age_days, rules.stopped_instance_days) == (90, 30)  # the defaults
    answer = orphans(demo.console, "U0DEV", "C0FINOPS", "kind=snapshot")
    text = text_of(answer)
    assert "140 days old" in text and " 0 days old" not in text
    stopped = text_of(orphans(demo.console, "U0DEV", "C0FINOPS", "kind=stopped-instance"))
    assert "45 days old" in stopped


def test_show_more_is_reachable_in_the_demo(demo: DemoStack) -> None:
    answer = orphans(demo.console, "U0DEV", "C0FINOPS")
    assert "orphans_show_more" in text_of(answer)
    demo.console.click(user_id="U0DEV", message_id=answer["id"], action_id="orphans_show_more")
    demo.console.wait_for(
        lambda: (
            "Showing 21 to" in text_of(demo.console.ephemerals("U0DEV")[-1])
            or "Show more" not in text_of(demo.console.ephemerals("U0DEV")[-1])
        ),
        timeout=30,
    )
