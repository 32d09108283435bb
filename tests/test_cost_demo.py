"""The issue's demo questions, asked through the console of the real offline demo."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.demo import DemoStack
from bot.render.cost import money
from tests.test_e2e_console import all_text


def ask(demo: DemoStack, text: str, channel: str) -> dict[str, Any]:
    console = demo.console
    seen = len(console.ephemerals("U0DEV"))
    assert console.send_command(user_id="U0DEV", channel_id=channel, text=text).status == 200

    def answered() -> Any:
        fresh = [
            m for m in console.ephemerals("U0DEV")[seen:] if "Adding up costs" not in m["text"]
        ]
        return fresh[-1] if fresh else None

    answer: dict[str, Any] = console.wait_for(answered, timeout=20)
    return answer


def exact(demo: DemoStack, start: Any, end: Any, **tags: str) -> Decimal:
    items = demo.cost_explorer._dataset  # the stand-in's own line items
    total = Decimal(0)
    for day in range((end - start).days):
        for item in items._by_day.get(start + timedelta(days=day), ()):
            if all(item.tag(k) == v for k, v in tags.items()):
                total += item.amount
    return total


def has_chart(demo: DemoStack, answer: dict[str, Any]) -> bool:
    images = [b for b in answer["blocks"] if b["type"] == "image"]
    return bool(images) and demo.console.files[images[0]["slack_file"]["id"]][:4] == b"\x89PNG"


def test_demo_team_month_to_date(demo: DemoStack) -> None:
    today = demo.cost_explorer.today()
    answer = ask(demo, "/cost team=payments", "C0PAY")
    text = " ".join(all_text(answer))
    first = today.replace(day=1)
    if today == first:  # the 1st: last month's final figures lead, the new month is forecast
        start = (first - timedelta(days=1)).replace(day=1)
        assert money(exact(demo, start, first, Team="payments")) in text
        assert "has no full day yet" in text and "Budget $6,000.00:" in text
        assert has_chart(demo, answer)
        return
    total = exact(demo, first, today, Team="payments")
    assert money(total) in text
    assert "Budget $6,000.00: forecast uses" in text
    assert has_chart(demo, answer) == ((today - first).days >= 7)


def test_demo_last_month_by_team(demo: DemoStack) -> None:
    today = demo.cost_explorer.today()
    first = today.replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    answer = ask(demo, "/cost by=team period=last-month", "C0FINOPS")
    text = " ".join(all_text(answer))
    assert money(exact(demo, start, first)) in text
    for team in ("payments", "search", "data"):
        assert f"{team}: *{money(exact(demo, start, first, Team=team))}*" in text
    assert f"_no Team tag_: *{money(exact(demo, start, first, Team=''))}*" in text
    assert has_chart(demo, answer)


def test_demo_search_30_days_by_region(demo: DemoStack) -> None:
    today = demo.cost_explorer.today()
    start = today - timedelta(days=30)
    answer = ask(demo, "/cost team=search period=30d by=region", "C0SRCH")
    text = " ".join(all_text(answer))
    assert money(exact(demo, start, today, Team="search")) in text
    assert "us-east-1: *" in text and "eu-west-1: *" in text
    assert has_chart(demo, answer)
