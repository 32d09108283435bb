"""`/cost` end to end: signed requests from the console to the bot over HTTP, answers back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.render.cost import CostAction, money
from bot.server import start_http_in_thread
from bot.services import build_services
from standins.slack_console import SlackConsole
from tests.conftest import make_env, start_console
from tests.cost_fixtures import COST_CONFIG, TODAY, CostStack, exact, make_stack
from tests.test_e2e_console import all_text


@dataclass
class CostSlack:
    console: SlackConsole
    stack: CostStack


@pytest.fixture
def cost_slack(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CostSlack]:
    """The bot over HTTP with the console as Slack and the stand-in as Cost Explorer."""
    generator = make_stack(tmp_path, sqlite_url, monkeypatch)
    stack = next(generator)
    console = start_console()
    config = tmp_path / "finops.yml"
    config.write_text(COST_CONFIG)
    services = build_services(
        Settings.from_env(make_env(config, sqlite_url, SLACK_API_URL=console.api_url))
    )
    services.now = stack.clock
    stack.services = services
    server = start_http_in_thread(services)
    console.bot_url = f"{server.url}/slack/events"
    yield CostSlack(console=console, stack=stack)
    server.stop()
    console.stop()
    services.db.dispose()
    for _ in generator:
        pass


def ask(slack: CostSlack, text: str, user: str = "U0DEV", channel: str = "C0PAY") -> Any:
    """Send a command; return the last ephemeral answer (not the "Adding up" ack, nor a
    cached "still fetching" answer given past the time budget: the one replacing it)."""
    console = slack.console
    seen = len(console.ephemerals(user))
    delivery = console.send_command(user_id=user, channel_id=channel, text=text)
    assert delivery.status == 200

    def answered() -> Any:
        fresh = console.ephemerals(user)[seen:]
        final = [
            m
            for m in fresh
            if "Adding up costs" not in m["text"]
            and "still fetching" not in " ".join(all_text(m)).lower()  # past the time budget
        ]
        return final[-1] if final else None

    return console.wait_for(answered, timeout=30)


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message.get("blocks") or [] if b["type"] == kind]


def test_cost_answer_is_ephemeral_with_chart_and_share_posts_it(cost_slack: CostSlack) -> None:
    console, stack = cost_slack.console, cost_slack.stack
    answer = ask(cost_slack, "/cost team=payments period=30d")
    text = " ".join(all_text(answer))
    total = exact(stack.items, TODAY - timedelta(days=30), TODAY, team="payments")
    assert money(total) in text and "AWS cost: payments · last 30 days" in text
    assert answer["ephemeral_to"] == "U0DEV" and console.messages("C0PAY") == []
    image = blocks_of(answer, "image")[0]
    file_id = image["slack_file"]["id"]
    assert console.files[file_id].startswith(b"\x89PNG")
    upload = console.calls("files.completeUploadExternal")[-1]
    assert not upload["args"].get("channel_id")  # the chart is not posted anywhere by itself

    requests_before = stack.ce.request_count
    console.click(user_id="U0DEV", message_id=answer["id"], action_id=CostAction.SHARE)
    shared = console.wait_for(lambda: console.messages("C0PAY"))[-1]
    shared_text = " ".join(all_text(shared))
    assert money(total) in shared_text and "Shared by <@U0DEV>" in shared_text
    assert blocks_of(shared, "image")[0]["slack_file"]["id"] == file_id
    assert not blocks_of(shared, "actions")  # no Share button on the shared copy
    assert stack.ce.request_count == requests_before  # recomputed from the cache
    # A second click on the same answer posts nothing more, and says why.
    console.click(user_id="U0DEV", message_id=answer["id"], action_id=CostAction.SHARE)
    console.wait_for(
        lambda: any("already shared" in m["text"] for m in console.ephemerals("U0DEV")),
        timeout=10,
    )
    assert len(console.messages("C0PAY")) == 1
    # The answer came without a placeholder left behind (it was ready at once).
    assert not any("Adding up" in m["text"] for m in console.ephemerals("U0DEV"))


def test_short_periods_have_no_chart(cost_slack: CostSlack) -> None:
    answer = ask(cost_slack, "/cost period=2025-03-10..2025-03-12 by=team")
    assert blocks_of(answer, "image") == []
    assert cost_slack.console.calls("files.getUploadURLExternal") == []
    assert "no Team tag" in " ".join(all_text(answer))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/cost team=paymnts", 'Unknown team "paymnts" — did you mean payments?'),
        ("/cost period=lastmonth", 'Unknown period "lastmonth" — did you mean last-month?'),
        ("/cost by=tem", 'Unknown grouping "by=tem" — did you mean team?'),
        ("/cost regoin=us-east-1", 'Unknown option "regoin" — did you mean region?'),
        ("/cost period=2030-01", '"2030-01" is in the future'),
    ],
)
def test_bad_input_is_answered_at_once_without_cost_explorer(
    cost_slack: CostSlack, text: str, expected: str
) -> None:
    answer = ask(cost_slack, text)
    shown = " ".join(all_text(answer))
    assert expected in shown and "Usage: `/cost" in shown and "Traceback" not in shown
    assert cost_slack.stack.ce.request_count == 0


def test_help_unknown_service_and_unavailable_cost_explorer(cost_slack: CostSlack) -> None:
    help_text = " ".join(all_text(ask(cost_slack, "/cost help")))
    assert "`YYYY-MM-DD..YYYY-MM-DD`" in help_text and "`tag:KEY`" in help_text
    service = " ".join(all_text(ask(cost_slack, "/cost service=ec3 period=7d")))
    assert 'Unknown service "ec3" — did you mean ec2?' in service
    cost_slack.stack.ce.fail_next(100, "ServiceUnavailable", 503)
    down = " ".join(all_text(ask(cost_slack, "/cost team=search period=last-month")))
    assert "Cost Explorer is not answering" in down and "no cached data" in down
    assert "Traceback" not in down


def test_share_value_is_small_and_complete(cost_slack: CostSlack) -> None:
    answer = ask(cost_slack, "/cost team=search by=region period=7d")
    button = blocks_of(answer, "actions")[0]["elements"][0]
    value = json.loads(button["value"])
    assert value["q"] == {"team": "search", "period": "7d", "by": "region"}
    assert len(button["value"]) < 2000


def test_the_same_chart_is_uploaded_once(cost_slack: CostSlack) -> None:
    first = ask(cost_slack, "/cost team=payments period=last-month")
    again = ask(cost_slack, "/cost team=payments period=last-month")
    ids = [blocks_of(m, "image")[0]["slack_file"]["id"] for m in (first, again)]
    assert ids[0] == ids[1]
    assert len(cost_slack.console.calls("files.getUploadURLExternal")) == 1


def test_slow_cost_explorer_answers_from_cache_within_budget_then_updates(
    cost_slack: CostSlack,
) -> None:
    """Past the time budget the cached answer comes at once ("still fetching"), and is
    replaced when Cost Explorer answers; a fully cached question never waits."""
    import time

    stack = cost_slack.stack
    cost = stack.services.config.cost
    stack.services.config = stack.services.config.model_copy(
        update={"cost": cost.model_copy(update={"answer_budget_seconds": 0.5})}
    )
    total = exact(stack.items, TODAY - timedelta(days=30), TODAY, team="payments")
    console = cost_slack.console

    def updated() -> Any:
        fresh = [" ".join(all_text(m)) for m in console.ephemerals("U0DEV")[seen:]]
        done = [t for t in fresh if money(total) in t and "still fetching" not in t]
        return done[-1] if done else None

    seen = len(console.ephemerals("U0DEV"))
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/cost team=payments period=30d")
    assert console.wait_for(updated, timeout=40)  # the first fetch may pass the budget too
    stack.clock.advance(hours=7)  # recent days are past their TTL: they will be refetched
    stack.ce.delay_seconds = 6.0
    seen = len(console.ephemerals("U0DEV"))
    started = time.monotonic()
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/cost team=payments period=30d")

    def pending() -> Any:
        fresh = [" ".join(all_text(m)) for m in console.ephemerals("U0DEV")[seen:]]
        return next((t for t in fresh if "still fetching" in t), None)

    quick = console.wait_for(pending, timeout=10)
    assert time.monotonic() - started < 4  # not the 6 s the fetch takes
    assert money(total) in quick and "as of" in quick
    # While that slice's fetch is running, a fully cached (settled) question of the same
    # slice is answered at once: it does not wait for the fetch lock.
    settled = exact(stack.items, date(2025, 2, 14), date(2025, 3, 1), team="payments")
    started = time.monotonic()
    console.send_command(
        user_id="U0DEV",
        channel_id="C0PAY",
        text="/cost team=payments period=2025-02-14..2025-02-28",
    )

    def cached() -> Any:
        fresh = [" ".join(all_text(m)) for m in console.ephemerals("U0DEV")[seen:]]
        return next((t for t in fresh if money(settled) in t), None)

    assert "still fetching" not in console.wait_for(cached, timeout=10)
    assert updated() is None  # answered while the slow fetch was still running

    assert console.wait_for(updated, timeout=40)
    texts = [" ".join(all_text(m))[:80] for m in console.ephemerals("U0DEV")[seen:]]
    assert not pending(), texts  # the "still fetching" answer was replaced, not left behind
    stack.ce.delay_seconds = 0.0
