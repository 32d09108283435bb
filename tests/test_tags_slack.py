"""`/tags` end to end: the console (signed requests), the bot over HTTP, moto and the CE
stand-in; the "Ask owner to fix" button messages the owner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from standins.cost_explorer import CostExplorerStandin
from storage.models import AuditEvent
from tests.conftest import SlackStack
from tests.orphans_fixtures import clear_aws_env
from tests.tags_fixtures import NOW, ce, known_estate  # noqa: F401


@pytest.fixture
def world(
    slack_stack: SlackStack,
    ce: CostExplorerStandin,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[SlackStack, dict[str, Any]]]:
    """The known estate in moto; payments owned by U0DEV, search by lee's email (U0SLEAD)."""
    clear_aws_env(monkeypatch)
    slack_stack.services.now = lambda: NOW
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        ids = known_estate(session, owners={"payments": "U0DEV"})
        # An owner no Slack user has: listed, but no button.
        session.client("ec2", region_name="us-east-1").create_volume(
            AvailabilityZone="us-east-1a",
            Size=10,
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "Owner", "Value": "gone@example.com"}]}
            ],
        )
        yield slack_stack, ids


def settled(message: dict[str, Any]) -> bool:
    """The answer once the inventory scan it waited for has landed (updated in place)."""
    body = json.dumps(message)
    return "as of " in body and "scanning" not in body and "refreshing" not in body


def answer(stack: SlackStack, text: str, user: str = "U0DEV") -> dict[str, Any]:
    console = stack.console
    seen = len(console.ephemerals(user))
    console.send_command(user_id=user, channel_id="C0PAY", text=text)
    return dict(
        console.wait_for(
            lambda: [m for m in console.ephemerals(user)[seen:] if settled(m)][-1],
            timeout=15,
        )
    )


def test_tags_answers_with_compliance_spend_and_owner_buttons(
    world: tuple[SlackStack, dict[str, Any]],
) -> None:
    stack, ids = world
    message = answer(stack, "/tags")
    body = json.dumps(message)
    assert "*28.6 %* of 7 resource(s) carry every required tag" in body
    assert "$95.00" in body  # untagged spend, Nov 1-19 at $5/day
    assert "*payments*: 50.0 % (1 of 2)" in body and "_no team_: 0.0 % (0 of 3)" in body
    buttons = {
        b["block_id"]: json.loads(b["accessory"]["value"])
        for b in message["blocks"]
        if b.get("accessory", {}).get("action_id") == "tags_ask_owner"
    }
    # payments' half-tagged volume (user id) and search's IP (email -> U0SLEAD) get one;
    # the untagged ones and the unknown email do not.
    assert {v["id"]: v["o"] for v in buttons.values()} == {
        ids["half"]: "U0DEV",
        ids["ip"]: "U0SLEAD",
    }
    assert "gone@example.com" in body
    assert stack.console.calls("users.lookupByEmail")


def test_ask_owner_to_fix_messages_the_owner_and_confirms_to_the_clicker(
    world: tuple[SlackStack, dict[str, Any]],
) -> None:
    stack, ids = world
    console = stack.console
    message = answer(stack, "/tags team=search")
    body = json.dumps(message)
    assert "Tagging compliance for team search" in body and ids["half"] not in body
    console.click(
        user_id="U0DEV",
        message_id=message["id"],
        action_id="tags_ask_owner",
        block_id=f"eu-west-1/{ids['ip']}",
    )
    dm = console.wait_for(lambda: console.messages("D0SLEAD"))[-1]
    assert ids["ip"] in dm["text"] and "`Environment`, `Project`" in dm["text"]
    assert "<@U0DEV> asks you" in dm["text"]
    confirm = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Asked <@U0SLEAD>" in m["text"]]
    )
    assert confirm
    with stack.services.db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tags.ask-owner")
        ).one()
        assert (event.actor, event.subject) == ("U0DEV", ids["ip"])


def test_ask_owner_re_checks_the_tags_first(world: tuple[SlackStack, dict[str, Any]]) -> None:
    stack, ids = world
    console = stack.console
    message = answer(stack, "/tags team=search")
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    # Fixed meanwhile: every required tag is there now, so nobody is bothered.
    ec2.create_tags(
        Resources=[ids["ip"]],
        Tags=[{"Key": "Environment", "Value": "prod"}, {"Key": "Project", "Value": "search-api"}],
    )
    console.click(
        user_id="U0DEV",
        message_id=message["id"],
        action_id="tags_ask_owner",
        block_id=f"eu-west-1/{ids['ip']}",
    )
    refused = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Nothing sent" in m["text"]]
    )[-1]
    assert "has every required tag now" in refused["text"]
    # Half fixed: only what is still missing is asked for.
    ec2.delete_tags(Resources=[ids["ip"]], Tags=[{"Key": "Project"}])
    console.click(
        user_id="U0DEV",
        message_id=message["id"],
        action_id="tags_ask_owner",
        block_id=f"eu-west-1/{ids['ip']}",
    )
    dm = console.wait_for(lambda: console.messages("D0SLEAD"))[-1]
    assert "missing `Project`." in dm["text"] and "Environment" not in dm["text"]
    # Gone: nothing sent either.
    ec2.release_address(AllocationId=ids["ip"])
    console.click(
        user_id="U0DEV",
        message_id=message["id"],
        action_id="tags_ask_owner",
        block_id=f"eu-west-1/{ids['ip']}",
    )
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "no longer exists" in m["text"]]
    )
    assert len(console.messages("D0SLEAD")) == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/tags team=paymnts", "did you mean payments?"),
        ("/tags teem=payments", "did you mean team?"),
        ("/tags everything", "Unknown argument"),
    ],
)
def test_bad_input_gets_a_clear_answer_without_touching_aws(
    world: tuple[SlackStack, dict[str, Any]],
    ce: CostExplorerStandin,
    text: str,
    expected: str,
) -> None:
    stack, _ = world
    stack.console.send_command(user_id="U0DEV", channel_id="C0PAY", text=text)
    reply = stack.console.wait_for(lambda: stack.console.ephemerals("U0DEV"))[-1]
    assert expected in json.dumps(reply) and "Usage: `/tags [team=NAME]`" in json.dumps(reply)
    assert ce.request_count == 0


def test_help(world: tuple[SlackStack, dict[str, Any]]) -> None:
    stack, _ = world
    stack.console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/tags help")
    reply = stack.console.wait_for(lambda: stack.console.ephemerals("U0DEV"))[-1]
    assert "Required tags: `Environment`, `Team`, `Project`, `Owner`" in json.dumps(reply)


def test_show_more_and_download_csv_list_every_resource_missing_tags(
    world: tuple[SlackStack, dict[str, Any]],
) -> None:
    stack, ids = world
    console = stack.console
    ec2 = boto3.client("ec2", region_name="us-east-1")
    extra = [
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"] for _ in range(30)
    ]
    first = answer(stack, "/tags")
    body1 = json.dumps(first)
    assert "Show more (" in body1 and "not listed here" not in body1
    more = next(
        {"block_id": b["block_id"], **e}
        for b in first["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "listing_show_more"
    )
    console.click(
        user_id="U0DEV",
        message_id=first["id"],
        action_id="listing_show_more",
        block_id=more["block_id"],
    )
    second = console.wait_for(
        lambda: [
            m
            for m in console.ephemerals("U0DEV")
            if m["id"] == first["id"] and json.dumps(m) != body1
        ],
        timeout=15,
    )[-1]
    body2 = json.dumps(second)
    assert "listing_show_more" not in body2 and "Showing 26 to" in body2
    on_first = {v for v in extra if v in body1}
    on_second = {v for v in extra if v in body2}
    assert on_first | on_second == set(extra) and not on_first & on_second

    console.click(
        user_id="U0DEV",
        message_id=second["id"],
        action_id="listing_csv",
        block_id="listing-actions",
    )
    content = console.wait_for(
        lambda: next(
            (d.decode() for d in console.files.values() if d.startswith(b"id,type,account")),
            None,
        ),
        timeout=15,
    )
    rows = content.splitlines()[1:]
    listed_ids = [row.split(",")[0] for row in rows]
    assert set(extra) <= set(listed_ids) and len(listed_ids) == len(set(listed_ids))
    assert ids["half"] in listed_ids
    assert console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Sent `tags.csv`" in m["text"]]
    )
