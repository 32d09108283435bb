"""`/compute` through the console (signed requests, real bot) on in-process moto: the answer,
and both buttons (ASG → spot mix, ECS → fewer nodes) through request, refusal, approval
(twice: acts once), the moto ASG, undo and the audit log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from bot.audit_export import events
from standins.slack_console import SlackConsole
from tests.compute_fixtures import asg, cluster, group, instance, reservations
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import clear_aws_env
from tests.test_storage_advice_slack import text_of


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    """The stack on an empty in-process moto."""
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield slack_stack


def compute(
    console: SlackConsole, user: str, channel: str, args: str = "", *, timeout: float = 30
) -> dict[str, Any]:
    before = len(console.ephemerals(user))
    console.send_command(user_id=user, channel_id=channel, text=f"/compute {args}".strip())
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m
            for m in console.ephemerals(user)[before:]
            if "Compute savings:" in m["text"] and settled(m)
        ],
        timeout=timeout,
    )[-1]


def requested(console: SlackConsole, answer: dict[str, Any], block_id: str) -> dict[str, Any]:
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="compute_request_change",
        block_id=block_id,
    )
    resource = block_id.split(":", 1)[1]
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m
            for m in console.messages("C0PAY")
            if resource in text_of(m) and "Approve" in text_of(m)
        ],
        timeout=15,
    )[-1]


def approved_twice(console: SlackConsole, request: dict[str, Any]) -> dict[str, Any]:
    before = len(console.ephemerals("U0DEV"))
    console.click(user_id="U0DEV", message_id=request["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV")[before:] if "can't approve" in m["text"]],
        timeout=10,
    )
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_approve")
    with contextlib.suppress(ValueError):  # the buttons may already be gone: done
        console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_approve")
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )[-1]


def test_compute_answer_and_both_buttons_through_approval(world: SlackStack) -> None:
    console = world.console
    asg("batch-asg", desired=4, workload="batch")
    asg("db-asg", desired=2, workload="database")
    lone = instance("web")
    instance(None)
    cluster("jobs")
    reservations("jobs", world.services.now(), cpu=[30.0] * 48, memory=[20.0] * 48)
    answer = compute(console, "U0DEV", "C0PAY")
    shown = text_of(answer)
    # 196.22 (batch ASG) + 70.08 x 2 (two of four ECS nodes) + 70.08 x 80 % x 70 % (lone web)
    assert "Compute savings: $375.62/month" in answer["text"]
    assert "$196.22/month saved" in shown and "$140.16/month saved" in shown
    assert "$39.24/month saved" in shown and lone in shown and "advisory" in shown
    assert "db-asg" in shown and "database: stays on-demand" in shown
    assert "1 instance or ASG has no `Workload` tag" in shown
    assert len(answer["blocks"]) <= 50
    lone_block = next(b for b in answer["blocks"] if lone in b.get("block_id", ""))
    assert "accessory" not in lone_block  # stand-alone instances: advice only

    request = requested(console, answer, "spot-asg:batch-asg")
    assert "to spot: 0 % on-demand" in text_of(request)
    assert "MixedInstancesPolicy" not in group("batch-asg")
    approved_twice(console, request)
    policy = group("batch-asg")["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0

    request = requested(console, answer, "ecs-overprovisioned:jobs")
    assert "to 2 nodes" in text_of(request)
    done = approved_twice(console, request)
    assert group("jobs-nodes")["DesiredCapacity"] == 2
    assert "Restore capacity" in text_of(done)
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_restore")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and ":leftwards_arrow_with_hook:" in text_of(m)
        ],
        timeout=20,
    )
    assert group("jobs-nodes")["DesiredCapacity"] == 4

    statuses = [(e["status"], e["resource_id"]) for e in events(world.services.db)]
    assert [s for s, r in statuses if r == "batch-asg"] == [
        "requested",
        "refused",
        "approved",
        "step_started",  # UpdateAutoScalingGroup, written before and after
        "step_done",
        "executed",
    ]
    assert [s for s, r in statuses if r == "jobs"] == [
        "requested",
        "refused",
        "approved",
        "step_started",
        "step_done",
        "executed",
        "restore_started",
        "restored",
    ]
    again = compute(console, "U0DEV", "C0PAY")
    assert "spot-asg:batch-asg" not in text_of(again)  # already on a spot mix


def test_bad_arguments_and_help(world: SlackStack) -> None:
    console = world.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/compute team=paymnts")
    answer = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Unknown team" in text_of(m)], timeout=10
    )[-1]
    assert "did you mean payments" in text_of(answer).lower()
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/compute region=mars-1")
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "not scanned" in text_of(m)], timeout=10
    )
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/compute help")
    help_text = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "/compute" in m["text"]], timeout=10
    )[-1]
    assert "batch, processing, analytics → spot" in text_of(help_text)
