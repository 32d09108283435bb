"""The anomalies job end to end: Cost Explorer stand-in, real bot, console, real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.config import AnomaliesConfig, Settings
from bot.services import build_services
from jobs.runner import run_job
from standins.cost_explorer import CostExplorerStandin, LineItem
from standins.demo_data import DEMO_ANOMALY, demo_line_items
from storage.models import AuditEvent
from storage.models_alerts import Anomaly, PostedAlert
from tests.conftest import SlackStack, make_env

TODAY = date(2026, 11, 27)


class MovingDay:
    """Today, for the bot and the stand-in alike; tests move it."""

    def __init__(self, today: date) -> None:
        self.today = today

    def now(self) -> datetime:
        return datetime(self.today.year, self.today.month, self.today.day, 10, tzinfo=UTC)


def serve(
    items: list[LineItem], day: MovingDay, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CostExplorerStandin]:
    standin = CostExplorerStandin(items, today=lambda: day.today)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield standin
    standin.stop()


@pytest.fixture
def day() -> MovingDay:
    return MovingDay(TODAY)


@pytest.fixture
def demo_ce(day: MovingDay, monkeypatch: pytest.MonkeyPatch) -> Iterator[CostExplorerStandin]:
    yield from serve(demo_line_items(today=TODAY), day, monkeypatch)


def prepare(stack: SlackStack, day: MovingDay, **thresholds: object) -> None:
    services = stack.services
    services.now = day.now
    services.config = services.config.model_copy(
        update={"anomalies": AnomaliesConfig(**thresholds)}  # type: ignore[arg-type]
    )


def text_of(message: dict[str, object]) -> str:
    return json.dumps(message)


def test_the_demo_anomaly_is_posted_once_updated_and_silenced(
    slack_stack: SlackStack, demo_ce: CostExplorerStandin, day: MovingDay
) -> None:
    # The demo spike is ~$60/day on one team's EC2: below the default $100, so lower it.
    prepare(slack_stack, day, min_impact=Decimal(50))
    console, services = slack_stack.console, slack_stack.services
    first_day = DEMO_ANOMALY.start(TODAY)
    # Two days into the spike: one message with those two days.
    day.today = first_day + timedelta(days=2)
    run = run_job("anomalies", services)
    assert run.status == "ok", run.detail
    assert run.detail == "1 posted"
    [message] = console.messages("C0SRCH")
    body = text_of(message)
    assert "Amazon Elastic Compute Cloud - Compute" in body
    assert "EUW1-BoxUsage:c5.xlarge" in body and "eu-west-1" in body and "111111111111" in body
    assert "forgotten or oversized c5.xlarge" in body
    assert "Expected" in body and "Investigating" in body
    # Nothing else: the weekday pattern and the month-start Support and Tax are normal.
    for channel in ("C0PAY", "C0FINOPS", "C0MGMT"):
        assert console.messages(channel) == []
    assert "Not an anomaly" in body
    # The spike goes on: the same message is updated, not re-posted.
    day.today = first_day + timedelta(days=3)
    assert run_job("anomalies", services).detail == "1 updated"
    # Three normal days later it is over: the message says so, with the total impact.
    day.today = TODAY
    assert run_job("anomalies", services).detail == "1 ended"
    [updated] = console.messages("C0SRCH")
    assert updated["ts"] == message["ts"]
    assert len(console.calls("chat.postMessage")) == 1
    with services.db.session() as session:
        record = session.scalars(select(Anomaly)).one()
        assert (record.first_day, record.last_day) == (first_day, DEMO_ANOMALY.end(TODAY))
        assert record.impact > Decimal(150) and record.phase == "ended"
    assert "Ended" in text_of(updated) and f"${record.impact:,.2f}" in text_of(updated)
    assert "over 3 day(s)" in text_of(updated)
    # Nothing new: nothing sent at all.
    calls = len(console.calls())
    assert run_job("anomalies", services).detail == "1 unchanged"
    assert len(console.calls()) == calls
    # The owner says "Investigating", then "Expected": stored, shown, used.
    console.click(user_id="U0SLEAD", message_id=updated["id"], action_id="anomaly_investigating")
    console.wait_for(lambda: "is investigating" in text_of(console.messages("C0SRCH")[0]))
    console.click(user_id="U0SLEAD", message_id=updated["id"], action_id="anomaly_expected")
    console.wait_for(lambda: "Marked expected by" in text_of(console.messages("C0SRCH")[0]))
    with services.db.session() as session:
        record = session.scalars(select(Anomaly)).one()
        assert (record.status, record.feedback_by) == ("expected", "U0SLEAD")
        actions = session.scalars(select(AuditEvent.action)).all()
        assert {"anomaly.investigating", "anomaly.expected"} <= set(actions)
    calls = len(console.calls())
    day.today = TODAY + timedelta(days=1)
    assert "posted" not in run_job("anomalies", services).detail
    assert len(console.calls()) == calls  # no post, no update
    # A restart (new process, same database) does not repeat anything either.
    restarted = build_services(Settings(**{**services.settings.__dict__}))
    restarted.now, restarted.config = day.now, services.config
    assert "posted" not in run_job("anomalies", restarted).detail
    assert len(console.messages("C0SRCH")) == 1
    assert len(console.calls("chat.postMessage")) == 1
    restarted.db.dispose()


def flat_items(today: date, *, team: str | None, spike_day: date) -> list[LineItem]:
    items = []
    for n in range(1, 80):
        day = today - timedelta(days=n)
        amount = Decimal(400) * (3 if day == spike_day else 1)
        items.append(
            LineItem(
                usage_date=day,
                account_id="111111111111",
                region="us-east-1",
                service="AWS Data Transfer",
                usage_type="DataTransfer-Out-Bytes",
                amount=amount,
                tags={"Team": team} if team else {},
            )
        )
    return items


@pytest.mark.parametrize("team", [None, "marketing"])
def test_untagged_and_unknown_team_spend_goes_to_the_default_channel(
    slack_stack: SlackStack, day: MovingDay, monkeypatch: pytest.MonkeyPatch, team: str | None
) -> None:
    spike = TODAY - timedelta(days=2)
    for _ in serve(flat_items(TODAY, team=team, spike_day=spike), day, monkeypatch):
        prepare(slack_stack, day)
        assert run_job("anomalies", slack_stack.services).detail == "1 posted"
        [message] = slack_stack.console.messages("C0FINOPS")
        body = text_of(message)
        assert ("*untagged* spend" if team is None else "team *marketing*") in body
        assert "$1,200.00" in body and "$400.00" in body  # actual vs expected
        assert "VPC endpoints" in body
        assert slack_stack.console.messages("C0PAY") == []


def test_below_the_thresholds_nothing_is_posted(
    slack_stack: SlackStack, demo_ce: CostExplorerStandin, day: MovingDay
) -> None:
    prepare(slack_stack, day)  # defaults: 20 % and $100/day; the demo spike is ~$60/day
    assert run_job("anomalies", slack_stack.services).detail.startswith("no anomalies")
    assert slack_stack.console.calls("chat.postMessage") == []
    with slack_stack.services.db.session() as session:
        assert session.scalars(select(PostedAlert)).all() == []


def test_a_missing_bot_token_fails_the_run_with_a_clear_line(
    tmp_path: object, config_file: object, sqlite_url: str
) -> None:
    env = make_env(config_file, sqlite_url)  # type: ignore[arg-type]
    del env["SLACK_BOT_TOKEN"]
    services = build_services(Settings.from_env(env))
    run = run_job("anomalies", services)
    assert (run.status, run.detail) == (
        "failed",
        "ConfigError: SLACK_BOT_TOKEN is not set: jobs cannot post to Slack",
    )
    services.db.dispose()
