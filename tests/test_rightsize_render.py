"""Block Kit for `/rightsize`: buttons per action, protected and no-$ entries, limits."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.advice.catalogue import default_catalogue
from bot.advice.rightsizing import (
    ACTION_CHANGE,
    ACTION_STOP,
    ACTION_TERMINATE,
    KIND_IDLE,
    KIND_OVERSIZED,
    NoData,
    RightsizeReport,
)
from bot.orphans.model import Finding
from bot.orphans.scanner import ScanFilter
from bot.render.common import MAX_BLOCKS, MAX_SECTION_TEXT
from bot.render.rightsize import RightsizeAction, finding_block, rightsize_message


def finding(
    n: int,
    kind: str = KIND_OVERSIZED,
    action: str | None = ACTION_CHANGE,
    saving: str = "62.05",
    known: bool = True,
    protected: bool = False,
) -> Finding:
    return Finding(
        resource_id=f"i-{n:017x}",
        kind=kind,
        resource_type="ec2-instance",
        region="us-east-1",
        account="123456789012",
        name=f"api-{n}",
        size="c5.xlarge",
        age_days=None,
        tags={},
        team="payments",
        owner="U0PAYDEV",
        monthly_cost=Decimal(saving),
        approximate=False,
        action=action,
        protected=protected,
        reason="",
        details={
            "instance_type": "c5.xlarge",
            "proposed_type": "c5.large",
            "average": 25.04,
            "p95": 41.5,
            "maximum": 60.0,
            "hours": 336,
            "current_monthly": "124.10",
            "proposed_monthly": "62.05",
            "saving_known": known,
            "note": "",
        },
    )


def button(block: dict) -> tuple[str, str] | None:  # type: ignore[type-arg]
    accessory = block.get("accessory")
    return (accessory["action_id"], accessory["text"]["text"]) if accessory else None


def test_each_action_has_its_button() -> None:
    assert button(finding_block(finding(1))) == (RightsizeAction.CHANGE, "Change to c5.large")
    assert button(finding_block(finding(2, KIND_IDLE, ACTION_STOP))) == (
        RightsizeAction.STOP,
        "Stop",
    )
    assert button(finding_block(finding(3, KIND_IDLE, ACTION_TERMINATE))) == (
        RightsizeAction.TERMINATE,
        "Terminate",
    )
    locked = finding_block(finding(4, action=None, protected=True))
    assert button(locked) is None and "protected" in locked["text"]["text"]
    pending = finding_block(finding(5), open_request=12)
    assert button(pending) is None and "request #12 is open" in pending["text"]["text"]
    grouped = finding(7, KIND_IDLE, None)
    grouped.details["auto_scaling_group"] = "web-nodes"
    block = finding_block(grouped)
    assert button(block) is None and "Auto Scaling group `web-nodes`" in block["text"]["text"]
    value = json.loads(finding_block(finding(6))["accessory"]["value"])
    assert value["t"] == "c5.xlarge" and value["k"] == KIND_OVERSIZED


def test_figures_and_unknown_prices() -> None:
    text = finding_block(finding(1))["text"]["text"]
    assert "*$62.05/month saved*" in text and "CPU avg 25.0 % · p95 41.5 %" in text
    assert "now $124.10/month, then $62.05/month" in text
    unknown = finding_block(finding(2, saving="0.00", known=False))["text"]["text"]
    assert "no $ figure" in unknown and "$0.00" not in unknown


def test_many_findings_stay_within_slack_limits() -> None:
    report = RightsizeReport(
        findings=[finding(n) for n in range(120)],
        no_data=[
            NoData(
                f"i-{n:017x}",
                "",
                "m5.large",
                "us-east-1",
                "current",
                None,
                0,
                group="nodes" if n % 2 else None,
            )
            for n in range(40)
        ],
        instances=200,
    )
    message = rightsize_message(
        report, scope=ScanFilter(), catalogue=default_catalogue(), lookback_days=14
    )
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(
        len(b["text"]["text"]) <= MAX_SECTION_TEXT
        for b in blocks
        if "text" in b and b["type"] == "section"
    )
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Showing 1 to 20 of 120" in shown and "listing_show_more" in shown
    assert "20 instances launched by Auto Scaling groups" in shown
    assert "…and 5 more." in shown and "as of 2025-06-01" in shown
    assert "Rightsizing: $7,446.00/month" in message["text"]


def test_approximate_prices_are_flagged_only_when_used() -> None:
    exact = RightsizeReport(findings=[finding(1)], instances=1)
    shown = json.dumps(
        rightsize_message(
            exact, scope=ScanFilter(), catalogue=default_catalogue(), lookback_days=14
        )
    )
    assert "as of 2025-06-01" in shown and "estimated with us-east-1" not in shown
    assert "check memory before a downsize" in shown
    idle_only = RightsizeReport(findings=[finding(3, KIND_IDLE, ACTION_STOP)], instances=1)
    assert "check memory" not in json.dumps(
        rightsize_message(
            idle_only, scope=ScanFilter(), catalogue=default_catalogue(), lookback_days=14
        )
    )
    guessed = finding(2)
    guessed.approximate = True
    rough = RightsizeReport(findings=[guessed], instances=1)
    shown = json.dumps(
        rightsize_message(
            rough, scope=ScanFilter(), catalogue=default_catalogue(), lookback_days=14
        ),
        ensure_ascii=False,
    )
    assert (
        "estimated with us-east-1 prices (not in the catalogue)" in shown
        and "$62.05≈/month" in shown
    )
