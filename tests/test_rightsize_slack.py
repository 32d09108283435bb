"""`/rightsize` through the console (signed requests, real bot) on in-process moto: the
answer, and each button (Change to…, Stop, Terminate) through request, refusal, approval,
double approval, the moto instance and the audit log; and undo of a type change."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from bot.audit_export import events
from bot.remediation import rightsize_actions
from standins.slack_console import SlackConsole
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import clear_aws_env
from tests.rightsize_fixtures import RIGHTSIZE_CONFIG, instance, launch, put_cpu, steady
from tests.test_storage_advice_slack import text_of


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The rightsizing config (search may terminate) instead of the default test config."""
    path = tmp_path / "finops.yml"
    path.write_text(RIGHTSIZE_CONFIG)
    return path


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    clear_aws_env(monkeypatch)
    monkeypatch.setattr(rightsize_actions, "STOP_WAIT", {"Delay": 1, "MaxAttempts": 5})
    with mock_aws():
        yield slack_stack


def rightsize(
    console: SlackConsole, user: str, channel: str, args: str = "", *, timeout: float = 30
) -> dict[str, Any]:
    before = len(console.ephemerals(user))
    console.send_command(user_id=user, channel_id=channel, text=f"/rightsize {args}".strip())
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m
            for m in console.ephemerals(user)[before:]
            if ("Rightsizing:" in m["text"] and settled(m)) or ":warning:" in text_of(m)
        ],
        timeout=timeout,
    )[-1]


def request(
    console: SlackConsole, answer: dict[str, Any], action_id: str, block_id: str, channel: str
) -> dict[str, Any]:
    console.click(user_id="U0DEV", message_id=answer["id"], action_id=action_id, block_id=block_id)
    resource = block_id.split(":", 1)[1]
    return console.wait_for(
        lambda: [
            m
            for m in console.messages(channel)  # type: ignore[no-any-return]
            if resource in text_of(m)
        ],
        timeout=15,
    )[-1]


def approved(
    console: SlackConsole, message: dict[str, Any], approver: str, channel: str
) -> dict[str, Any]:
    console.click(user_id=approver, message_id=message["id"], action_id="cleanup_approve")
    return console.wait_for(
        lambda: [
            m
            for m in console.messages(channel)  # type: ignore[no-any-return]
            if m["id"] == message["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )[-1]


def test_answer_and_every_button_through_approval(world: SlackStack) -> None:
    console, now = world.console, world.services.now()
    oversized = launch("c5.xlarge", "payments", Name="api-1")
    put_cpu(oversized, steady(25.0, 45.0), now)
    idle = launch("m5.large", "payments")
    put_cpu(idle, steady(2.0, 6.0), now)
    terminable = launch("t3.large", "search")
    put_cpu(terminable, steady(1.0), now)
    locked = launch("m5.xlarge", "payments", **{"finops:protect": "true"})
    put_cpu(locked, steady(1.0), now)
    silent = launch("t3.medium", "payments")

    answer = rightsize(console, "U0DEV", "C0PAY")
    shown = text_of(answer)
    # $70.08 (stop m5.large) + $62.05 (c5.xlarge → c5.large) + $60.74 (t3.large).
    assert "Rightsizing: $192.87/month" in answer["text"]
    assert "c5.xlarge → c5.large" in shown and "$62.05/month saved" in shown
    assert "CPU avg 25.0 % · p95 45.0 %" in shown and "Change to c5.large" in shown
    assert "$70.08/month saved" in shown and "EBS volumes keep costing" in shown
    assert "Terminate" in shown and "as of 2025-06-01" in shown
    assert silent in shown and "no data" in shown
    locked_block = next(b for b in answer["blocks"] if locked in b.get("block_id", ""))
    assert "accessory" not in locked_block and "protected" in text_of({"blocks": [locked_block]})

    # Change to c5.large: refused for the wrong approver, acts once on a double approval.
    message = request(
        console, answer, "rightsize_change", f"oversized-instance:{oversized}", "C0PAY"
    )
    assert "from c5.xlarge to c5.large" in text_of(message) and "Approve" in text_of(message)
    console.click(user_id="U0SLEAD", message_id=message["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0SLEAD") if "can't approve" in m["text"]],
        timeout=10,
    )
    assert instance(oversized)["InstanceType"] == "c5.xlarge"
    console.click(user_id="U0LEAD", message_id=message["id"], action_id="cleanup_approve")
    with contextlib.suppress(ValueError):  # a double click (unless the buttons went already)
        console.click(user_id="U0LEAD", message_id=message["id"], action_id="cleanup_approve")
    done = console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == message["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )[-1]
    assert instance(oversized)["InstanceType"] == "c5.large"
    assert "Change back" in text_of(done)

    # Undo: back to the previous type.
    console.click(user_id="U0LEAD", message_id=message["id"], action_id="cleanup_restore")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == message["id"] and ":leftwards_arrow_with_hook:" in text_of(m)
        ],
        timeout=20,
    )
    assert instance(oversized)["InstanceType"] == "c5.xlarge"
    assert instance(oversized)["State"]["Name"] == "running"

    # Stop.
    message = request(console, answer, "rightsize_stop", f"idle-instance:{idle}", "C0PAY")
    approved(console, message, "U0LEAD", "C0PAY")
    assert instance(idle)["State"]["Name"] == "stopped"

    # Terminate (search allows it): in search's channel, approved by search's approver.
    message = request(
        console, answer, "rightsize_terminate", f"idle-instance:{terminable}", "C0SRCH"
    )
    assert "Create an AMI" in text_of(message)
    approved(console, message, "U0SLEAD", "C0SRCH")
    assert instance(terminable)["State"]["Name"] == "terminated"

    statuses = [(e["status"], e["resource_id"]) for e in events(world.services.db)]
    step = ["step_started", "step_done"]
    assert [s for s, r in statuses if r == oversized] == [
        "requested",
        "refused",
        "approved",
        *step * 3,  # stop, modify, start
        "executed",
        "restore_started",
        "restored",
    ]
    for resource, steps in ((idle, 1), (terminable, 2)):  # stop; image, terminate
        assert [s for s, r in statuses if r == resource] == [
            "requested",
            "approved",
            *step * steps,
            "executed",
        ]
    again = text_of(rightsize(console, "U0DEV", "C0PAY"))
    assert idle not in again and terminable not in again


def test_bad_arguments_get_a_helpful_answer(world: SlackStack) -> None:
    console = world.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/rightsize team=paymnts")
    answer = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Unknown team" in text_of(m)], timeout=10
    )[-1]
    assert "did you mean payments" in text_of(answer).lower()
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/rightsize size=big")
    console.wait_for(
        lambda: [
            m for m in console.ephemerals("U0DEV") if "size" in text_of(m) and "Usage" in text_of(m)
        ],
        timeout=10,
    )
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/rightsize help")
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "under 10 %" in text_of(m)], timeout=10
    )
