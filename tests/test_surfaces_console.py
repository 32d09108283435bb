"""End to end through the console and the real bot (moto, the Cost Explorer stand-in):
hostile tag values stay text, destructive buttons confirm, Reject asks for a reason in a
modal, and the App Home shows a user's budgets, requests and waste."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.audit_export import events
from standins.cost_explorer import CostExplorerStandin
from tests.conftest import SlackStack
from tests.orphans_fixtures import clear_aws_env
from tests.tags_fixtures import NOW, ce  # noqa: F401
from tests.test_render_escaping import FORBIDDEN, mrkdwn_texts

EVIL_NAME = "db`<!channel>`"


@pytest.fixture
def world(
    slack_stack: SlackStack, ce: CostExplorerStandin, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SlackStack, str]]:
    """A payments volume tagged Owner=<!everyone> and a backtick-and-mention Name."""
    clear_aws_env(monkeypatch)
    slack_stack.services.now = lambda: NOW
    with mock_aws():
        ec2 = boto3.Session(region_name="us-east-1").client("ec2")
        values = {"Team": "payments", "Owner": "<!everyone>", "Name": EVIL_NAME}
        tags = [{"Key": k, "Value": v} for k, v in values.items()]
        volume = ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=100,
            VolumeType="gp2",
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )["VolumeId"]
        yield slack_stack, volume


def no_live_markup(message: dict[str, Any]) -> None:
    for text in mrkdwn_texts(message):
        for bad in FORBIDDEN:
            assert bad not in text, f"{bad!r} is live in {text!r}"


def request_cleanup(stack: SlackStack, volume: str) -> dict[str, Any]:
    """/orphans as U0DEV, click Request cleanup on `volume`; the posted approval message."""
    console = stack.console
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/orphans")
    listing = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if volume in json.dumps(m["blocks"])],
        timeout=20,
    )[-1]
    no_live_markup(listing)
    console.click(
        user_id="U0DEV",
        message_id=listing["id"],
        action_id="orphans_request_cleanup",
        block_id=volume,
    )
    return dict(console.wait_for(lambda: console.messages("C0PAY"), timeout=15)[-1])


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in message.get("blocks", [])
        for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else [])
        if e.get("type") == "button"
    }


def test_hostile_tags_stay_text_and_approve_asks_to_confirm(
    world: tuple[SlackStack, str],
) -> None:
    stack, volume = world
    approval = request_cleanup(stack, volume)
    no_live_markup(approval)
    posted = stack.console.calls("chat.postMessage")
    assert posted and all("<!everyone>" not in json.dumps(c["args"]) for c in posted)
    body = json.dumps(approval["blocks"])
    assert "*Owner:* &lt;!everyone&gt;" in body  # shown as text, not a mention
    confirm = buttons(approval)["cleanup_approve"]["confirm"]
    assert volume in confirm["text"]["text"]
    assert "Snapshot, then delete; restorable for 7 days." in confirm["text"]["text"]
    assert "/month" in confirm["text"]["text"] and confirm["style"] == "danger"
    assert "confirm" not in buttons(approval)["cleanup_reject"]  # rejecting destroys nothing


def test_reject_asks_for_a_reason_that_reaches_the_message_and_the_audit_log(
    world: tuple[SlackStack, str],
) -> None:
    stack, volume = world
    console = stack.console
    approval = request_cleanup(stack, volume)
    # someone who may not decide: the modal opens, its submission is refused in the modal
    console.click(user_id="U0SLEAD", message_id=approval["id"], action_id="cleanup_reject")
    console.wait_for(lambda: console.modal("U0SLEAD"), timeout=10)
    console.submit_view(user_id="U0SLEAD", values={"reason": "not mine"})
    refused = console.wait_for(lambda: (console.modal("U0SLEAD") or {}).get("errors"))
    assert "can't reject" in refused["reason"]
    assert "(pending)" in console.messages("C0PAY")[-1]["text"]
    # a form whose metadata was tampered with is refused too, without a traceback
    with console.state.lock:
        console.state.views[console.modal("U0SLEAD")["id"]]["private_metadata"] = "9" * 30
    assert console.submit_view(user_id="U0SLEAD", values={"reason": "x"}).status == 200
    tampered = console.wait_for(lambda: console.modal("U0SLEAD"))["errors"]
    assert tampered == {"reason": "This form is out of date."}
    console.close_view(user_id="U0SLEAD")
    # the approver: a reason with markup in it
    console.click(user_id="U0LEAD", message_id=approval["id"], action_id="cleanup_reject")
    modal = console.wait_for(lambda: console.modal("U0LEAD"), timeout=10)
    assert modal["callback_id"] == "cleanup_reject_reason"
    assert volume in json.dumps(modal["blocks"])
    console.submit_view(user_id="U0LEAD", values={"reason": "still used by <!here> batch"})
    redrawn = console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if "(rejected)" in m["text"]], timeout=10
    )[-1]
    assert console.modal("U0LEAD") is None  # closed on success
    no_live_markup(redrawn)
    assert "Reason: _still used by &lt;!here&gt; batch_" in json.dumps(redrawn["blocks"])
    assert "cleanup_approve" not in buttons(redrawn)
    audit = [e for e in events(stack.services.db) if e["status"] == "rejected"]
    assert (
        len(audit) == 1 and audit[0]["result"] == "still used by @here batch"
    )  # the export is plain text


def test_app_home_shows_budgets_waiting_requests_and_waste(
    world: tuple[SlackStack, str],
) -> None:
    stack, volume = world
    console = stack.console
    request_cleanup(stack, volume)
    assert console.open_home(user_id="U0LEAD").status == 200
    home = console.wait_for(lambda: console.home("U0LEAD"), timeout=20)
    text = json.dumps(home["blocks"])
    no_live_markup(home)
    assert home["type"] == "home"
    assert "*payments*: $" in text and "of $1,000.00" in text  # month to date vs budget
    assert "*Waiting for your approval* (1)" in text
    assert "home_cleanup_approve" in text and volume in text  # with the buttons
    assert "*Top open waste*" in text and ":hourglass: request #1" in text
    # the requester sees it among their own open requests, and nothing to approve
    console.open_home(user_id="U0DEV")
    mine = json.dumps(console.wait_for(lambda: console.home("U0DEV"), timeout=20)["blocks"])
    assert "*Your open requests* (1)" in mine and "*Waiting for your approval* (0)" in mine
    # approving from Home acts once and publishes the tab again
    before = len(console.calls("views.publish"))
    console.click_view(user_id="U0LEAD", action_id="home_cleanup_approve")
    console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if "(executed)" in m["text"]], timeout=20
    )
    console.wait_for(lambda: len(console.calls("views.publish")) > before, timeout=20)
    after = json.dumps(console.wait_for(lambda: console.home("U0LEAD"))["blocks"])
    assert "*Waiting for your approval* (0)" in after


def test_typed_input_is_echoed_as_text(slack_stack: SlackStack) -> None:
    console = slack_stack.console
    for line in ("/cost team=<!channel>", "/finops <@UEVIL1>", "/orphans region=<https://x|y>"):
        seen = len(console.ephemerals("U0DEV"))
        console.send_command(user_id="U0DEV", channel_id="C0PAY", text=line)
        answer = console.wait_for(lambda s=seen: console.ephemerals("U0DEV")[s:], timeout=10)[-1]
        no_live_markup(answer)
        assert "&lt;" in json.dumps(answer["blocks"]), answer  # shown, escaped
