"""Done-when, in the demo: `/tags` answers from the seeded estate with sensible figures and
within Slack's limits (once the inventory's first scan has landed, if it had not yet)."""

from __future__ import annotations

import json
import re

from bot.demo import DemoStack
from tests.listing_helpers import settled


def test_tags_answers_from_the_demo_estate(demo: DemoStack) -> None:
    console = demo.console
    console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/tags")
    answer = console.wait_for(
        lambda: [
            m
            for m in console.ephemerals("U0DEV")
            if m["text"].startswith("Tagging compliance") and settled(m)
        ],
        timeout=60,
    )[-1]
    body = json.dumps(answer["blocks"], ensure_ascii=False)
    found = re.search(r"\*(\d+\.\d) %\* of (\d+) resource", body)
    assert found, body
    share, count = float(found.group(1)), int(found.group(2))
    assert 0 < share < 100 and count >= 20
    assert "*payments*" in body and re.search(r"\*Untagged spend [^*]+:\* \$", body)
    assert len(answer["blocks"]) <= 50
