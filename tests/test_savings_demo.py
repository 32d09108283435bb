"""`/savings` in the offline demo: all four sources in one list, largest saving first,
the total equal to the lines' sum, and a line's own button opening the usual request."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.demo import DemoStack
from tests.listing_helpers import settled
from tests.test_storage_advice_slack import text_of

MONEY = re.compile(r"\$([\d,]+\.\d\d)")


def dollars(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_savings_in_the_demo(demo: DemoStack) -> None:
    console = demo.console
    console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/savings")
    answer = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if "Savings:" in m["text"] and settled(m)],
        timeout=240,  # a cold inventory: rightsizing reads every instance's CPU from moto
    )[-1]
    assert len(answer["blocks"]) <= 50
    total = dollars(MONEY.search(answer["text"])[1])  # type: ignore[index]
    summary = answer["blocks"][1]["elements"][0]["text"]
    per_source = {
        name: dollars(amount)
        for name, amount in re.findall(
            r"(orphans|rightsizing|storage|compute) \$([\d,]+\.\d\d)", summary
        )
    }
    assert set(per_source) == {"orphans", "rightsizing", "storage", "compute"}
    assert sum(per_source.values()) == total
    # Sensible sizes: the idle/oversized instances alone are $457.13 in us-east-1 (see
    # test_rightsize_demo); the whole demo estate is worth a few thousand a month.
    assert Decimal("1000") < total < Decimal("10000")
    lines = [
        b for b in answer["blocks"] if b.get("type") == "section" and ":" in b.get("block_id", "")
    ]
    savings = [dollars(MONEY.search(b["text"]["text"])[1]) for b in lines]  # type: ignore[index]
    assert savings == sorted(savings, reverse=True) and len(savings) >= 20
    # Counted once: the idle batch instances are stop candidates, not also spot ones.
    ids = [b["block_id"].split(":", 1)[1] for b in lines]
    assert len(ids) == len(set(ids))
    # a line's own button: the search team's list (its lines may sit past the first page
    # of everyone's list) opens the usual request
    seen = len(console.ephemerals("U0DEV"))
    console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/savings team=search")
    answer = console.wait_for(
        lambda: [
            m for m in console.ephemerals("U0DEV")[seen:] if "Savings:" in m["text"] and settled(m)
        ],
        timeout=120,
    )[-1]
    change = next(
        b
        for b in answer["blocks"]
        if b.get("type") == "section"
        and b.get("accessory", {}).get("action_id") == "rightsize_change"
    )
    instance_id = change["block_id"].split(":", 1)[1]
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="rightsize_change",
        block_id=change["block_id"],
    )
    request = console.wait_for(
        lambda: [m for m in console.messages("C0SRCH") if instance_id in text_of(m)], timeout=20
    )[-1]
    assert "Approve" in text_of(request) and "c5.large" in text_of(request)
