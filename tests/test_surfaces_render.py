"""Confirm dialogs, the reject modal's metadata and reason, and the App Home's parts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.render import remediation as render
from bot.render.rightsize import finding_block
from tests.test_render_escaping import finding, request


def approve_button(message: dict) -> dict:  # type: ignore[type-arg]
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    return next(e for e in actions["elements"] if e["action_id"] == "cleanup_approve")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("snapshot-and-delete-volume", "Snapshot, then delete; restorable for 7 days."),
        ("release-address", "This cannot be undone"),
        ("delete-snapshot", "This cannot be undone"),
        ("delete-load-balancer", "This cannot be undone"),
        ("image-and-terminate-instance", "The termination cannot be undone"),
    ],
)
def test_destructive_approvals_confirm_with_resource_outcome_and_saving(
    action: str, expected: str
) -> None:
    req = request("db-1", action=action)
    confirm = approve_button(render.approval_message(req, deciders=[], restore_days=7))["confirm"]
    text = confirm["text"]["text"]
    assert req.resource_id in text and expected in text and "Saves $12.34/month." in text
    assert confirm["style"] == "danger" and confirm["confirm"]["text"] == "Approve"
    assert len(text) <= 300 and len(confirm["title"]["text"]) <= 100


def test_reversible_approvals_and_rejects_need_no_confirm() -> None:
    req = request("x", action="rightsize-stop-instance")
    message = render.approval_message(req, deciders=[], restore_days=7)
    assert "confirm" not in approve_button(message)
    assert all("confirm" not in e for b in message["blocks"] for e in b.get("elements", []))


def test_restore_window_wording() -> None:
    assert render.consequence("snapshot-and-delete-volume", 1) == (
        "Snapshot, then delete; restorable for 1 day."
    )
    off = render.consequence("snapshot-and-delete-volume", 0)
    assert off is not None and "cannot be undone" in off
    assert "the restore window" in str(render.consequence("snapshot-and-delete-volume", None))


def test_rightsize_terminate_button_confirms() -> None:
    idle = finding(
        "web",
        kind="rightsize-idle",
        action="rightsize-image-and-terminate-instance",
        monthly_cost=Decimal("70.08"),
        details={"instance_type": "m5.large"},
    )
    button = finding_block(idle)["accessory"]
    assert button["text"]["text"] == "Terminate"
    text = button["confirm"]["text"]["text"]
    assert idle.resource_id in text and "cannot be undone" in text and "$70.08/month" in text
    stop = finding("web", kind="rightsize-idle", action="rightsize-stop-instance", details={})
    assert "confirm" not in finding_block(stop)["accessory"]


def test_reject_metadata_round_trip_and_junk() -> None:
    from bot.payloads import PayloadError, RejectForm

    assert RejectForm.decode(render.reject_metadata(12)) == RejectForm(id=12, home=False)
    assert RejectForm.decode(render.reject_metadata(12, from_home=True)) == RejectForm(
        id=12, home=True
    )
    assert render.reject_metadata(12, from_home=True) == "12:home"  # as every release wrote
    for junk in ("", "abc", "1" * 25, "12:elsewhere", "-3", "0", None, ["1"]):
        with pytest.raises(PayloadError):
            RejectForm.decode(junk)


def test_reason_from_a_submitted_view() -> None:
    def view(value: object) -> dict:  # type: ignore[type-arg]
        return {"state": {"values": {"reason": {"reason": {"value": value}}}}}

    assert render.reason_from(view("  not now  ")) == "not now"
    assert render.reason_from(view(None)) == ""
    assert render.reason_from(view("x" * 900)) == "x" * render.MAX_REASON
    for junk in ({}, {"state": {"values": ["x"]}}, {"state": "x"}, view(["a"]), view(7)):
        assert render.reason_from(junk) == ""
