"""Ids and people in a button are checked against server-side state before use: "Ask owner
to fix" messages the owner only while the resource's Owner tag still resolves to them."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import SlackStack
from tests.tags_fixtures import ce  # noqa: F401 - fixture
from tests.test_tags_slack import answer, world  # noqa: F401 - world is a fixture


def test_ask_owner_refuses_when_the_owner_tag_changed_since_the_listing(
    world: tuple[SlackStack, dict[str, Any]],
) -> None:
    stack, ids = world
    console = stack.console
    message = answer(stack, "/tags team=search")
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.create_tags(Resources=[ids["ip"]], Tags=[{"Key": "Owner", "Value": "priya@example.com"}])
    console.click(
        user_id="U0DEV",
        message_id=message["id"],
        action_id="tags_ask_owner",
        block_id=f"eu-west-1/{ids['ip']}",
    )
    refused = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Nothing sent" in m["text"]]
    )[-1]
    assert "no longer tagged as theirs" in refused["text"]
    posts = [c["args"].get("channel") for c in console.calls("chat.postMessage")]
    assert "U0SLEAD" not in posts and "D0SLEAD" not in posts
