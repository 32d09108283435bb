"""`finops-bot audit`: one plain-text log of every event (cleanup steps, reconciliations,
`/budget set`, anomaly feedback) with names beside user ids, and `--verify`."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import update

from bot.audit_export import events, plain, render, slack_names
from bot.audit_verify import verify
from bot.budgets.store import set_budget
from bot.remediation import requests as store
from bot.remediation import service
from bot.services import Services
from storage import audit
from storage.models_remediation import CleanupRequest
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401
from tests.test_remediation_flow import open_request


def test_plain_text_drops_slack_markup() -> None:
    names = {"U0LEAD": "Priya Lead"}.get
    text = (
        "*payments* volume `vol-1` deleted by <@U0LEAD> in <#C0PAY|payments>, "
        "see <https://example.com/x|the runbook> &amp; ```code``` ~old~ <!here>"
    )
    shown = plain(text, lambda user: names(user) or user)
    assert shown == (
        "payments volume vol-1 deleted by @Priya Lead in #payments, "
        "see the runbook (https://example.com/x) & code old @here"
    )
    assert plain("snake_case and 2*3*4 stay") == "snake_case and 2*3*4 stay"


def test_csv_is_plain_with_names_and_json_has_details(
    svc: Services, estate: Estate, slack_console_names: dict[str, str]
) -> None:
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    service.execute(svc, request_id)
    rows = events(svc.db, name_of=slack_console_names.get)
    out = render(rows, "csv")
    assert "*" not in out and "`" not in out and "<@" not in out
    table = list(csv.DictReader(io.StringIO(out)))
    assert "details" not in table[0] and "detail" not in table[0]
    approved = next(r for r in table if r["status"] == "approved")
    assert approved["actor"] == "U0LEAD" and approved["actor_name"] == "priya"
    assert approved["requested_by_name"] == "sam"
    executed = next(r for r in table if r["status"] == "executed")
    assert executed["result"].startswith("snapshot snap-") and volume in executed["result"]
    as_json = json.loads(render(rows, "json"))
    assert as_json[-1]["details"]["steps"] == ["delete", "snapshot"]
    assert any(r["details"].get("token") for r in as_json if r["status"] == "step_started")


@pytest.fixture
def slack_console_names() -> dict[str, str]:
    """Names as Slack's users.info gives them (the console stand-in), through slack_names."""
    from slack_sdk import WebClient

    from bot.slack.outbound import Outbound
    from tests.conftest import BOT_TOKEN, start_console

    console = start_console()
    try:
        name_of = slack_names(Outbound(WebClient(token=BOT_TOKEN, base_url=console.api_url)))
        return {user: name_of(user) for user in ("U0LEAD", "U0DEV", "U0NOBODY")}
    finally:
        console.stop()


def test_names_fall_back_to_the_id(slack_console_names: dict[str, str]) -> None:
    assert slack_console_names["U0NOBODY"] == "U0NOBODY"
    assert slack_console_names["U0LEAD"] == "priya"


def test_budget_set_and_anomaly_feedback_are_in_the_log(svc: Services) -> None:
    with svc.db.session() as session:
        set_budget(
            session,
            team="payments",
            amount=Decimal("1200.00"),
            user="U0LEAD",
            now=svc.now(),
            previous=Decimal("1000"),
        )
        audit.record(
            session,
            actor="U0DEV",
            action="anomaly.expected",
            subject="anomaly:payments:AmazonEC2",
            series="payments/AmazonEC2",
            first_day="2026-11-20",
        )
    rows = events(svc.db)
    assert [r["status"] for r in rows] == ["budget.set", "anomaly.expected"]
    assert rows[0]["result"] == "monthly budget of payments set to 1200.00 (was 1000)"
    assert rows[0]["actor"] == "U0LEAD" and rows[0]["resource_id"] == "team:payments"
    assert "marked expected" in rows[1]["result"]
    table = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    assert table[0]["status"] == "budget.set" and table[0]["monthly_saving"] == ""


def test_verify_passes_on_a_clean_log_and_lists_what_is_missing(
    svc: Services, estate: Estate, clock: Clock
) -> None:
    done = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, done, user="U0LEAD", approve=True)
    assert service.execute(svc, done).outcome == "executed"
    rejected = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, rejected, user="U0LEAD", approve=False)
    assert verify(svc.db, now=svc.now()) == []
    # A request that claims `executed` with a step never finished, and one stuck open.
    broken = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, broken, user="U0LEAD", approve=True)
    with svc.db.session() as session:
        request = store.get_request(session, broken)
        assert request is not None
        store.append_event(
            session, request, "step_started", actor=store.BOT_ACTOR, now=svc.now(), step="snapshot"
        )
        session.execute(
            update(CleanupRequest).where(CleanupRequest.id == broken).values(state="executed")
        )
        store.append_event(session, request, "executed", actor=store.BOT_ACTOR, now=svc.now())
    stuck = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, stuck, user="U0LEAD", approve=True)
    clock.advance(hours=2)
    problems = verify(svc.db, now=svc.now())
    assert any(f"#{broken}" in p and "`snapshot` was started" in p for p in problems)
    assert any(f"#{broken}" in p and "no recorded outcome for step `delete`" in p for p in problems)
    assert any(f"#{stuck}" in p and "never finished" in p for p in problems)
    assert not any(f"#{done} " in p or f"#{rejected} " in p for p in problems)


def test_audit_verify_command_exits_1_with_the_list(
    svc: Services, estate: Estate, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.audit_export import run_audit

    request_id = open_request(svc, estate.volume(10, "gp2", "payments"))
    assert run_audit(svc, fmt="json", since=None, verify=True) == 0
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    clock.advance(hours=2)
    assert run_audit(svc, fmt="json", since=None, verify=True) == 1
    out = capsys.readouterr()
    assert f"request #{request_id}" in out.out and "NOT consistent: 1 problem(s)" in out.err
