"""The weekly digest through the CE stand-in, the console and a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from bot.orphans.model import Finding
from bot.remediation import requests as store
from jobs.runner import run_job
from standins.cost_explorer import CostExplorerStandin, LineItem
from storage.models_alerts import Anomaly
from tests.conftest import SlackStack
from tests.orphans_fixtures import clear_aws_env

TODAY = date(2026, 11, 23)  # a Monday: this week = Mon 16 .. Sun 22 Nov
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def items() -> list[LineItem]:
    rows = []
    for n in range(1, 60):
        day = TODAY - timedelta(days=n)
        payments = Decimal(60) if n <= 7 else Decimal(40)
        for team, service, amount in (
            ("payments", "Amazon Elastic Compute Cloud - Compute", payments),
            ("search", "Amazon Simple Storage Service", Decimal(10)),
            (None, "AWS Data Transfer", Decimal(5) if n <= 7 else Decimal(8)),
        ):
            rows.append(
                LineItem(
                    usage_date=day,
                    account_id="111111111111",
                    region="us-east-1",
                    service=service,
                    usage_type="Usage",
                    amount=amount,
                    tags={"Team": team} if team else {},
                )
            )
    return rows


@pytest.fixture
def ce(monkeypatch: pytest.MonkeyPatch) -> Iterator[CostExplorerStandin]:
    """The CE stand-in, and moto with one waste volume (fully tagged) and a half-tagged one."""
    clear_aws_env(monkeypatch)
    standin = CostExplorerStandin(items(), today=lambda: TODAY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        full = {"Environment": "prod", "Team": "payments", "Project": "pay", "Owner": "U0DEV"}
        for tags in (full, {"Team": "search"}):
            ec2.create_volume(
                AvailabilityZone="us-east-1a",
                Size=100,
                VolumeType="gp2",
                TagSpecifications=[
                    {
                        "ResourceType": "volume",
                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                    }
                ],
            )
        # A bucket with no tags at all: the Tagging API would never list it; /tags does.
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="untagged-logs")
        yield standin
    standin.stop()


def finding(resource_id: str, saving: str) -> Finding:
    return Finding(
        resource_id=resource_id,
        kind="volume",
        resource_type="ebs-volume",
        region="us-east-1",
        account="123456789012",
        name="",
        size="100 GiB gp2",
        age_days=40,
        tags={},
        team="payments",
        owner=None,
        monthly_cost=Decimal(saving),
        approximate=False,
        action="snapshot-and-delete-volume",
    )


def seed_records(stack: SlackStack) -> None:
    """An anomaly this week, one old one, an executed cleanup and an open request."""
    ttl = timedelta(hours=72)
    with stack.services.db.session() as session:
        for key, last in (("a:new", TODAY - timedelta(days=2)), ("a:old", date(2026, 10, 1))):
            session.add(
                Anomaly(
                    alert_key=key,
                    series=key,
                    team="search",
                    service="Amazon S3",
                    account=None,
                    first_day=last,
                    last_day=last,
                    expected=Decimal(10),
                    actual=Decimal(250),
                    impact=Decimal(240),
                    status="open",
                    detected_at=NOW,
                )
            )
        done = store.create_request(
            session,
            finding=finding("vol-done", "12.50"),
            requested_by="U0DEV",
            now=NOW - timedelta(days=3),
            ttl=ttl,
        )
        store.transition(session, done.id, from_states=("pending",), to="executed")
        store.append_event(
            session,
            done,
            "executed",
            actor=store.BOT_ACTOR,
            now=NOW - timedelta(days=3),
            result="deleted",
        )
        # Executed, then undone (restored): not a saving.
        undone = store.create_request(
            session,
            finding=finding("vol-undone", "88.11"),
            requested_by="U0DEV",
            now=NOW - timedelta(days=2),
            ttl=ttl,
        )
        store.transition(session, undone.id, from_states=("pending",), to="executed")
        store.append_event(
            session,
            undone,
            "executed",
            actor=store.BOT_ACTOR,
            now=NOW - timedelta(days=2),
            result="deleted",
        )
        store.set_fields(session, undone.id, restore_state="restored", restored_by="U0LEAD")
        store.create_request(
            session, finding=finding("vol-open", "7.00"), requested_by="U0DEV", now=NOW, ttl=ttl
        )


def test_the_digest_says_it_all_once_a_week_with_one_cost_explorer_request(
    slack_stack: SlackStack, ce: CostExplorerStandin
) -> None:
    services, console = slack_stack.services, slack_stack.console
    services.now = lambda: NOW
    digest = services.config.digest
    assert digest is not None
    services.config = services.config.model_copy(
        update={"digest": digest.model_copy(update={"team_channels": True})}
    )
    seed_records(slack_stack)
    run = run_job("digest", services)
    assert run.status == "ok", run.detail
    assert run.detail == "posted digest, payments, search"
    assert ce.request_count <= 2
    [message] = console.messages("C0MGMT")
    body = json.dumps(message)
    assert "2026-W48" in body
    # payments: $420 this week vs $280 the week before.
    assert "*payments*: $420.00 (last week $280.00; :arrow_up: +$140.00, +50.0 %)" in body
    assert "*search*: $70.00 (last week $70.00" in body and "_untagged_: $35.00" in body
    # Month to date (Nov 1-22) vs the $1,000 budget: 15 x $40 + 7 x $60 = $1,020.
    assert "$1,020.00 of $1,000.00 (102.0 %)" in body
    # Movers: payments EC2 first, untagged transfer second; search did not move.
    assert body.index("Amazon Elastic Compute Cloud") < body.index("AWS Data Transfer")
    assert "Amazon Simple Storage Service: " not in body
    assert "Anomalies this week:* 1" in body and "$250.00 vs $10.00" in body
    assert "$12.50/month from 1 executed cleanup" in body
    assert "Open cleanup requests:* 1 ($7.00/month" in body
    # Open waste: two unattached 100 GiB gp2 volumes; one of the three resources (the
    # untagged bucket counts) has every required tag, and each team's share. And the chart.
    assert "*Open waste:* $20.00/month in 2 finding(s)" in body
    # The same two volumes are gp3 candidates too: counted once, as waste.
    assert "*Open recommendations:* $20.00/month in 2 (orphans $20.00)" in body
    assert "33.3 % of 3 resources carry every required tag" in body
    assert "*search*: 0.0 % (0 of 1)" in body and "*payments*: 100.0 % (1 of 1)" in body
    assert "_no team_: 0.0 % (0 of 1)" in body
    assert '"slack_file": {"id": "F' in body and console.calls("files.completeUploadExternal")
    # Each team's own part in its channel, without the others.
    [own] = console.messages("C0PAY")
    assert "$420.00" in json.dumps(own) and "*search*" not in json.dumps(own)
    assert "*Tagging compliance:* 100.0 % of 1 resource(s)" in json.dumps(own)
    # Once a week: a second run (or a second clock) posts nothing.
    calls = len(console.calls("chat.postMessage"))
    assert run_job("digest", services).detail == "already posted this week"
    assert len(console.calls("chat.postMessage")) == calls
