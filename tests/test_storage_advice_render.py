"""Block Kit for `/storage`: small gp2 savings summed rather than listed, and the ≈ note
only when a region's prices were missing."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.advice.storage import StorageReport
from bot.orphans.model import Finding
from bot.orphans.prices import default_prices
from bot.orphans.scanner import ScanFilter
from bot.render.storage_advice import storage_message


def gp2(n: int, saving: str, approximate: bool = False) -> Finding:
    return Finding(
        resource_id=f"vol-{n:017x}",
        kind="gp2-volume",
        resource_type="ebs-volume",
        region="us-east-1",
        account="123456789012",
        name="",
        size="8 GiB gp2",
        age_days=None,
        tags={},
        team="payments",
        owner=None,
        monthly_cost=Decimal(saving),
        approximate=approximate,
        action="modify-volume-gp3",
        reason="",
        details={"state": "in-use", "attached_to": "i-1"},
    )


def answer(report: StorageReport, min_saving: str = "1.00") -> str:
    return json.dumps(
        storage_message(
            report,
            scope=ScanFilter(),
            prices=default_prices(),
            policy="IA after 30 days",
            min_saving=Decimal(min_saving),
        ),
        ensure_ascii=False,
    )


def test_small_savings_are_summed_not_listed() -> None:
    report = StorageReport(
        volumes=[gp2(1, "2.00"), gp2(2, "0.16"), gp2(3, "0.16"), gp2(4, "0.18"), gp2(5, "1.00")]
    )
    shown = answer(report)
    assert "Storage savings: $3.50/month" in shown  # every volume counts in the total
    assert f"vol-{1:017x}" in shown and f"vol-{5:017x}" in shown  # $1.00 is not below $1.00
    assert f"vol-{2:017x}" not in shown and f"vol-{4:017x}" not in shown
    assert "3 more gp2 volume(s) would each save less than $1.00/month: $0.50/month" in shown
    everything = answer(report, "0")
    assert f"vol-{2:017x}" in everything and "would each save less" not in everything


def test_approximate_note_only_when_used() -> None:
    assert "estimated with" not in answer(StorageReport(volumes=[gp2(1, "2.00")]))
    assert "estimated with us-east-1 prices" in answer(
        StorageReport(volumes=[gp2(1, "2.00", approximate=True)])
    )
