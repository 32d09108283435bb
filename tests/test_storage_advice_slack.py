"""`/storage` through the console (signed requests, real bot) on in-process moto: the
answer, and both buttons through request, refusal, approval and the moto resource."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.audit_export import events
from standins.slack_console import SlackConsole
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import clear_aws_env
from tests.storage_advice_fixtures import bucket, lifecycle_rules, sizes, volume_type


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    """The stack on moto: a gp2 and a gp3 volume, buckets with and without metrics."""
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield slack_stack


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or message.get("text"), ensure_ascii=False)


def storage(console: SlackConsole, user: str, channel: str, args: str = "") -> dict[str, Any]:
    before = len(console.ephemerals(user))
    console.send_command(user_id=user, channel_id=channel, text=f"/storage {args}".strip())
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m
            for m in console.ephemerals(user)[before:]
            if ("Storage savings:" in m["text"] and settled(m)) or "Unknown" in text_of(m)
        ],
        timeout=30,
    )[-1]


def volume(size: int, volume_type: str, team: str = "payments") -> str:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    return str(
        ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=size,
            VolumeType=volume_type,
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "Team", "Value": team}]}
            ],
        )["VolumeId"]
    )


def request_and_approve(console: SlackConsole, answer: dict[str, Any], block_id: str) -> None:
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="storage_request_change",
        block_id=block_id,
    )
    resource = block_id.split(":", 1)[1]
    request = console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if resource in text_of(m)], timeout=15
    )[-1]
    assert "Approve" in text_of(request)
    console.click(user_id="U0DEV", message_id=request["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "can't approve" in m["text"]], timeout=10
    )
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )


def test_storage_answer_and_both_buttons_through_approval(world: SlackStack) -> None:
    console = world.console
    gp2 = volume(100, "gp2")
    gp3 = volume(100, "gp3")
    bucket("logs-payments")
    sizes("logs-payments", world.services.now(), StandardStorage=1000)
    bucket("quiet-payments")
    bucket("tidy-payments", lifecycle=True)
    answer = storage(console, "U0DEV", "C0PAY")
    shown = text_of(answer)
    assert "Storage savings: $12.40/month" in answer["text"]
    assert gp2 in shown and gp3 not in shown and "$2.00/month saved" in shown
    assert "$10.40/month estimated" in shown and "Standard 1,000.0 GiB" in shown
    assert "Intelligent-Tiering instead: saves about $6.30/month" in shown
    assert "quiet-payments" in shown and "*no data*" in shown
    assert "tidy-payments" not in shown and "assumes the Standard bytes' age split" in shown
    request_and_approve(console, answer, f"gp2-volume:{gp2}")
    assert volume_type(gp2) == "gp3"
    request_and_approve(console, answer, "s3-lifecycle:logs-payments")
    assert [r["ID"] for r in lifecycle_rules("logs-payments")] == ["finops-bot-lifecycle"]
    statuses = [(e["status"], e["resource_id"]) for e in events(world.services.db)]
    for resource in (gp2, "logs-payments"):
        assert [s for s, r in statuses if r == resource] == [
            "requested",
            "refused",
            "approved",
            "step_started",
            "step_done",
            "executed",
        ]
    again = storage(console, "U0DEV", "C0PAY")
    assert gp2 not in text_of(again) and "logs-payments" not in text_of(again)


def test_bad_arguments_get_a_helpful_answer(world: SlackStack) -> None:
    console = world.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/storage team=paymnts")
    answer = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Unknown team" in text_of(m)], timeout=10
    )[-1]
    assert "did you mean payments" in text_of(answer).lower()
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/storage kind=volume")
    console.wait_for(
        lambda: [
            m for m in console.ephemerals("U0DEV") if "kind" in text_of(m) and "Usage" in text_of(m)
        ],
        timeout=10,
    )
