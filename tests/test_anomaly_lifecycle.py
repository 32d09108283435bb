"""An anomaly's life: root cause, growth (thread reply), revised data (withdrawn), feedback
that tunes, and the backtest of the tuned settings. Cost Explorer stand-in, console, SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.runner import run_job
from standins.cost_explorer import LineItem
from storage.models import AuditEvent
from storage.models_alerts import Anomaly
from tests.conftest import SlackStack
from tests.test_anomaly_job import TODAY, MovingDay, day, prepare, serve  # noqa: F401

PROD, DEV = "111111111111", "222222222222"
SERVICE = "Amazon Elastic Compute Cloud - Compute"
#: (account, region, usage type, $/day): the search team's EC2 compute.
LINES = [
    (PROD, "us-east-1", "USE1-BoxUsage:m5.xlarge", Decimal(300)),
    (PROD, "eu-west-1", "EUW1-BoxUsage:c5.xlarge", Decimal(200)),
    (DEV, "us-east-1", "USE1-BoxUsage:m5.large", Decimal(100)),
    (PROD, "us-east-1", "USE1-DataTransfer-Regional-Bytes", Decimal(50)),
]


def items(extra: dict[date, dict[str, Decimal]], *, days: int = 90) -> list[LineItem]:
    """Flat $650/day; `extra[day][usage type]` adds dollars to one line on one day."""
    out = []
    for n in range(1, days):
        when = TODAY + timedelta(days=5) - timedelta(days=n)
        for account, region, usage, amount in LINES:
            out.append(
                LineItem(
                    usage_date=when,
                    account_id=account,
                    region=region,
                    service=SERVICE,
                    usage_type=usage,
                    amount=amount + extra.get(when, {}).get(usage, Decimal(0)),
                    tags={"Team": "search"},
                )
            )
    return out


def anomaly(session: object) -> Anomaly:
    return session.scalars(select(Anomaly)).one()  # type: ignore[attr-defined, no-any-return]


def body(message: dict[str, object]) -> str:
    return json.dumps(message)


def test_root_cause_growth_reply_and_end(
    slack_stack: SlackStack, day: MovingDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    spike = TODAY - timedelta(days=1)
    extra = {
        spike: {"EUW1-BoxUsage:c5.xlarge": Decimal(400), "USE1-BoxUsage:m5.large": Decimal(60)},
        TODAY: {"EUW1-BoxUsage:c5.xlarge": Decimal(900)},
    }
    for standin in serve(items(extra), day, monkeypatch):
        prepare(slack_stack, day)
        console, services = slack_stack.console, slack_stack.services
        assert run_job("anomalies", services).detail == "1 posted"
        before = standin.request_count
        [message] = console.messages("C0SRCH")
        text = body(message)
        # Contributors by dollar impact, each with expected vs actual, across accounts,
        # regions and usage types; the top one decides the first recommendation.
        c5 = text.index("EUW1-BoxUsage:c5.xlarge` in eu-west-1, account 111111111111")
        m5 = text.index("USE1-BoxUsage:m5.large` in us-east-1, account 222222222222")
        assert c5 < m5
        assert "$600.00 vs $200.00 expected (+$400.00)" in text
        assert "$160.00 vs $100.00 expected (+$60.00)" in text
        assert "m5.xlarge" not in text  # it did not grow
        assert "forgotten or oversized c5.xlarge instances in eu-west-1" in text
        assert "/rightsize team=search" in text
        # The next day it grew past +50 %: the message is updated and a thread reply says so.
        day.today = TODAY + timedelta(days=1)
        assert run_job("anomalies", services).detail == "1 updated (grown, thread reply)"
        messages = console.messages("C0SRCH")
        assert len(messages) == 2
        updated, reply = messages
        assert updated["ts"] == message["ts"] and reply["thread_ts"] == message["ts"]
        assert "impact now $1,360.00 (was $460.00" in reply["text"]
        assert "$1,360.00" in body(updated)
        # The root cause asked Cost Explorer once more per run (one grouped query), counted.
        assert standin.request_count > before
        # Three normal days later: "ended", with the total impact over its days.
        day.today = TODAY + timedelta(days=4)
        assert run_job("anomalies", services).detail == "1 ended"
        [ended, _] = console.messages("C0SRCH")
        assert "Ended" in body(ended) and "total impact *$1,360.00* over 2 day(s)" in body(ended)
        with services.db.session() as session:
            assert anomaly(session).phase == "ended"
        assert run_job("anomalies", services).detail == "1 unchanged"


def test_an_alert_the_revised_data_does_not_support_is_withdrawn_once_settled(
    slack_stack: SlackStack, day: MovingDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    spike = TODAY - timedelta(days=1)
    for standin in serve(
        items({spike: {"USE1-BoxUsage:m5.xlarge": Decimal(500)}}), day, monkeypatch
    ):
        prepare(slack_stack, day)
        console, services = slack_stack.console, slack_stack.services
        assert run_job("anomalies", services).detail == "1 posted"
        # Cost Explorer revises the day: the spike was an estimate.
        standin.revise(items({}))
        day.today = TODAY + timedelta(days=1)
        assert run_job("anomalies", services).detail.startswith("no anomalies")  # not settled
        [message] = console.messages("C0SRCH")
        assert "Resolved" not in body(message)
        day.today = spike + timedelta(days=4)  # settle_days (3) later: judged again
        assert run_job("anomalies", services).detail == "1 withdrawn (data revised)"
        [withdrawn] = console.messages("C0SRCH")
        assert withdrawn["ts"] == message["ts"]
        assert "Resolved: the data was revised." in body(withdrawn)
        assert "anomaly_expected" not in body(withdrawn)  # no buttons left
        with services.db.session() as session:
            assert anomaly(session).phase == "withdrawn"
        calls = len(console.calls())
        assert run_job("anomalies", services).detail.startswith("no anomalies")
        assert len(console.calls()) == calls


def test_a_real_spike_is_not_withdrawn_when_its_data_settles(
    slack_stack: SlackStack, day: MovingDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    spike = TODAY - timedelta(days=1)
    for _ in serve(items({spike: {"USE1-BoxUsage:m5.xlarge": Decimal(500)}}), day, monkeypatch):
        prepare(slack_stack, day)
        assert run_job("anomalies", slack_stack.services).detail == "1 posted"
        day.today = spike + timedelta(days=4)
        assert run_job("anomalies", slack_stack.services).detail == "1 ended"
        assert "Resolved" not in body(slack_stack.console.messages("C0SRCH")[0])


def run_backtest(csv: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "anomalies", "backtest", "--csv", str(csv)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )


def test_not_an_anomaly_tunes_the_series_shows_it_and_backtests_it(
    slack_stack: SlackStack,
    day: MovingDay,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    first = TODAY - timedelta(days=30)
    second = TODAY - timedelta(days=1)
    extra = {
        first: {"USE1-BoxUsage:m5.xlarge": Decimal(260)},  # +40 % of $650
        second: {"USE1-BoxUsage:m5.xlarge": Decimal(250)},  # +38 %: the same kind
        TODAY + timedelta(days=3): {"USE1-BoxUsage:m5.xlarge": Decimal(650)},  # +100 %
    }
    console, services = slack_stack.console, slack_stack.services
    for _ in serve(items(extra), day, monkeypatch):
        prepare(slack_stack, day)
        day.today = first + timedelta(days=1)
        assert run_job("anomalies", services).detail == "1 posted"
        [message] = console.messages("C0SRCH")
        console.click(user_id="U0SLEAD", message_id=message["id"], action_id="anomaly_not_anomaly")
        console.wait_for(lambda: "Marked not an anomaly" in body(console.messages("C0SRCH")[0]))
        with services.db.session() as session:
            record = anomaly(session)
            assert (record.status, record.feedback_by) == ("not_anomaly", "U0SLEAD")
            [event] = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "anomaly.not_anomaly")
            ).all()
            assert event.actor == "U0SLEAD" and event.subject == record.alert_key
        # The same kind of deviation a month later: quiet.
        day.today = TODAY
        assert run_job("anomalies", services).detail.startswith("no anomalies")
        # A larger one alerts, and says the series was tuned.
        day.today = TODAY + timedelta(days=4)
        assert run_job("anomalies", services).detail == "1 posted"
        latest = console.messages("C0SRCH")[-1]
        answered = first + timedelta(days=1)  # the day the owner clicked
        assert f"tuned after 1 'not an anomaly' answer on {answered}" in body(latest)
        # The backtest shows what the tuned settings would have alerted on.
        series = "*/search/" + SERVICE
        rows = ["date,cost,series"]
        for n in range(90, 0, -1):
            when = TODAY + timedelta(days=4) - timedelta(days=n)
            cost = Decimal(650) + extra.get(when, {}).get("USE1-BoxUsage:m5.xlarge", Decimal(0))
            rows.append(f"{when},{cost},{series}")
        csv = tmp_path / "history.csv"
        csv.write_text("\n".join(rows) + "\n")
        done = run_backtest(
            csv,
            {"DATABASE_URL": services.settings.database_url, "FINOPS_CONFIG": str(tmp_path / "x")},
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        plain = result["alerts"][series]
        assert {str(first), str(second), str(TODAY + timedelta(days=3))} <= set(plain)
        tuned = result["tuned"][series]
        assert tuned["alerts"] == [str(TODAY + timedelta(days=3))]
        assert tuned["note"].startswith("tuned after 1 'not an anomaly' answer")
