"""Budgets: `/budget`, `/budget set`, the 80/90/100 % ladder, the forecast warning, and the
90 % restriction approved into moto (console, Cost Explorer stand-in, moto, real DB)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from bot.audit_export import events
from bot.budgets.status import crossing_date
from bot.budgets.store import Budget, budgets, set_budget
from bot.config import BudgetRestriction, BudgetsConfig
from jobs.runner import run_job
from standins.cost_explorer import CostExplorerStandin, LineItem
from storage.models import AuditEvent
from storage.models_alerts import PostedAlert
from tests.clock_fixtures import services_on
from tests.conftest import SlackStack
from tests.orphans_fixtures import clear_aws_env

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}'  # noqa: E501
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'  # noqa: E501


def flat_spend(per_day: Decimal = Decimal(40)) -> list[LineItem]:
    """payments: $40/day of EC2 since September (Nov 1-19: $760 month to date)."""
    start = date(2026, 9, 1)
    return [
        LineItem(
            usage_date=start + timedelta(days=n),
            account_id="111111111111",
            region="us-east-1",
            service="Amazon Elastic Compute Cloud - Compute",
            usage_type="BoxUsage:m5.large",
            amount=per_day,
            tags={"Team": "payments"},
        )
        for n in range((TODAY - start).days)
    ]


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    """The stack on moto (IAM role and deny policy, instances) and the CE stand-in."""
    clear_aws_env(monkeypatch)
    standin = CostExplorerStandin(flat_spend(), today=lambda: TODAY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_role(RoleName="payments-deploy", AssumeRolePolicyDocument=TRUST)
        policy = iam.create_policy(PolicyName="deny-launches", PolicyDocument=DENY)
        services = slack_stack.services
        services.now = lambda: NOW
        services.config = services.config.model_copy(
            update={
                "budgets": BudgetsConfig(
                    restrictions={
                        "payments": BudgetRestriction(
                            role_arn="arn:aws:iam::123456789012:role/payments-deploy",
                            deny_policy_arn=policy["Policy"]["Arn"],
                        )
                    },
                )
            }
        )
        yield slack_stack
    standin.stop()


def launch(team: str, **tags: str) -> str:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    image = ec2.register_image(Name=f"img-{team}-{len(tags)}", RootDeviceName="/dev/xvda")
    all_tags = [{"Key": "Team", "Value": team}] + [{"Key": k, "Value": v} for k, v in tags.items()]
    return str(
        ec2.run_instances(
            ImageId=image["ImageId"],
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": all_tags}],
        )["Instances"][0]["InstanceId"]
    )


def budget(stack: SlackStack, amount: str) -> None:
    with stack.services.db.session() as session:
        set_budget(
            session, team="payments", amount=Decimal(amount), user="U0LEAD", now=NOW, previous=None
        )


def keys(stack: SlackStack) -> set[str]:
    with stack.services.db.session() as session:
        return set(session.scalars(select(PostedAlert.dedupe_key)))


def test_crossing_date_is_named_from_the_forecast_pace() -> None:
    # $760 so far, $440 more forecast over the 11 days left: $40/day; $1,000 reached on day 6.
    assert crossing_date(Decimal(760), Decimal(1200), Decimal(1000), TODAY) == date(2026, 11, 25)
    assert crossing_date(Decimal(760), Decimal(990), Decimal(1000), TODAY) is None  # stays under
    assert crossing_date(Decimal(1100), Decimal(1500), Decimal(1000), TODAY) is None  # over


def test_the_ladder_fires_each_step_once_and_the_restriction_is_approved_into_iam(
    world: SlackStack,
) -> None:
    console, services = world.console, world.services
    critical = launch("payments", Criticality="high")
    spare = launch("payments")
    other = launch("search")
    # 79 %: no threshold; but the forecast ($1,200) crosses, so one early warning with a date.
    budget(world, "962.03")
    run = run_job("budgets", services)
    assert run.status == "ok", run.detail
    assert run.detail == "payments forecast"
    [warning] = console.messages("C0PAY")
    assert "Wed 25 Nov" in json.dumps(warning) and "2026-11-25" in json.dumps(warning)
    # 80 %: notify, once.
    budget(world, "950")
    assert run_job("budgets", services).detail == "payments 80%"
    assert "80.0 %" in json.dumps(console.messages("C0PAY")[-1])
    assert run_job("budgets", services).detail == "no budget alerts"
    # 90 %: notify and propose the restriction as an approval request.
    budget(world, "844.44")
    assert run_job("budgets", services).detail == "payments 90%"
    notice, proposal = console.messages("C0PAY")[-2:]
    assert "deny-launches" in json.dumps(notice) and "Approve" in json.dumps(proposal)
    assert "Budget request #" in json.dumps(proposal) and "Saves" not in json.dumps(proposal)
    iam = boto3.client("iam", region_name="us-east-1")
    assert iam.list_attached_role_policies(RoleName="payments-deploy")["AttachedPolicies"] == []
    # Not an approver: refused, nothing attached.
    console.click(user_id="U0SLEAD", message_id=proposal["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: any("can't approve" in json.dumps(m) for m in console.ephemerals("U0SLEAD"))
    )
    console.click(user_id="U0LEAD", message_id=proposal["id"], action_id="cleanup_approve")
    console.wait_for(lambda: "done:" in json.dumps(console.messages("C0PAY")[-1]))
    attached = iam.list_attached_role_policies(RoleName="payments-deploy")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["deny-launches"]
    log = [e for e in events(services.db) if e["request_id"]]  # (budget.set rows too)
    assert [e["status"] for e in log] == [
        "requested",
        "refused",
        "approved",
        "step_started",
        "step_done",
        "executed",
    ]
    assert log[-1]["action"] == "attach-deny-policy" and log[-1]["decided_by"] == "U0LEAD"
    assert log[0]["requested_by"] == "finops-bot"
    # 100 %: propose stopping the non-critical instance only.
    budget(world, "760")
    assert run_job("budgets", services).detail == "payments 100%"
    stop = console.messages("C0PAY")[-1]
    body = json.dumps(stop)
    assert spare in body and critical not in body and other not in body
    console.click(user_id="U0LEAD", message_id=stop["id"], action_id="cleanup_approve")
    console.wait_for(lambda: "done:" in json.dumps(console.messages("C0PAY")[-1]))
    ec2 = boto3.client("ec2", region_name="us-east-1")
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
    }
    assert states[spare] == "stopped"
    assert states[critical] == "running" and states[other] == "running"
    # Every step fired once this month; another run (or a restart) sends nothing.
    calls = len(console.calls("chat.postMessage"))
    assert run_job("budgets", services).detail == "no budget alerts"
    assert len(console.calls("chat.postMessage")) == calls
    assert keys(world) == {f"budget:payments:2026-11:{k}" for k in ("forecast", "80", "90", "100")}


def test_budget_shows_every_team_and_set_is_for_approvers_only(world: SlackStack) -> None:
    console, services = world.console, world.services

    def last_ephemeral(user: str, sent: int) -> str:
        found = console.wait_for(lambda: console.ephemerals(user)[sent:])
        return json.dumps(found[-1])

    def ask(user: str, text: str) -> str:
        sent = len(console.ephemerals(user))
        console.send_command(user_id=user, channel_id="C0PAY", text=text)
        return last_ephemeral(user, sent)

    answer = ask("U0DEV", "/budget")
    if "Adding up" in answer:
        answer = console.wait_for(
            lambda: next(
                (
                    json.dumps(m)
                    for m in console.ephemerals("U0DEV")
                    if "Budgets, November 2026" in json.dumps(m)
                ),
                None,
            )
        )
    assert "*payments*" in answer and "*search*" in answer
    assert "$1,000.00" in answer and "$760.00" in answer and "76.0 %" in answer
    assert "no budget" in answer  # search has none
    assert "Only the approvers of team *payments*" in ask(
        "U0SLEAD", "/budget set team=payments amount=5"
    )
    assert "is not a budget" in ask("U0LEAD", "/budget set team=payments amount=-3")
    assert "is not a budget" in ask("U0LEAD", "/budget set team=payments amount=lots")
    assert "did you mean payments" in ask("U0LEAD", "/budget set team=paymnts amount=5")
    assert "needs amount=" in ask("U0LEAD", "/budget set team=payments")
    done = ask("U0LEAD", "/budget set team=payments amount=$12,000")
    assert "now $12,000.00 (was $1,000.00)" in done
    with services.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "budget.set")).one()
        assert (event.actor, event.subject) == ("U0LEAD", "team:payments")
        assert event.detail == {"amount": "12000.00", "previous": "1000"}
    ask("U0DEV", "/budget")
    console.wait_for(
        lambda: any(
            "$12,000.00 (set in Slack)" in json.dumps(m) for m in console.ephemerals("U0DEV")
        )
    )


def test_with_budgets_auto_the_restriction_is_applied_without_a_click(world: SlackStack) -> None:
    services, console = world.services, world.console
    services.config = services.config.model_copy(
        update={"budgets": services.config.budgets.model_copy(update={"auto": True})}
    )
    budget(world, "844.44")  # 90 %: the 80 % and 90 % steps both fire
    assert run_job("budgets", services).detail == "payments 80%, payments 90%, payments forecast"
    iam = boto3.client("iam", region_name="us-east-1")
    attached = iam.list_attached_role_policies(RoleName="payments-deploy")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["deny-launches"]
    cleanup = [e for e in events(services.db) if e["request_id"]]
    assert [e["status"] for e in cleanup] == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "executed",
    ]
    assert cleanup[1]["decided_by"] == "finops-bot"
    assert "done:" in json.dumps(console.messages("C0PAY")[-2:])


def test_a_budget_set_in_slack_overrides_the_config_on_every_database(
    tmp_path: Path, database_url: str
) -> None:
    services = services_on(tmp_path, database_url)
    with services.db.session() as session:
        assert budgets(session, services.config)["payments"] == Budget(
            "payments", Decimal(1000), "config"
        )
        set_budget(
            session,
            team="payments",
            amount=Decimal("1500.00"),
            user="U0LEAD",
            now=NOW,
            previous=Decimal(1000),
        )
    with services.db.session() as session:
        set_budget(
            session,
            team="payments",
            amount=Decimal("1750.50"),
            user="U0LEAD",
            now=NOW,
            previous=Decimal(1500),
        )
    with services.db.session() as session:
        effective = budgets(session, services.config)
        assert effective["payments"] == Budget("payments", Decimal("1750.50"), "slack", "U0LEAD")
        assert effective["search"].amount is None
        changes = session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "budget.set")
            .order_by(AuditEvent.id)
        ).all()
        assert [c["amount"] for c in changes] == ["1500.00", "1750.50"]
    services.db.dispose()
