"""Observability: `/readyz` and `/healthz`, `/finops status` and `finops-bot status`, the
API-usage ledger on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import Settings
from bot.observability.usage import LEDGER, UsageLedger, month_usage
from bot.observability.wsgi import ObservedWsgi
from bot.services import Services, build_services
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import TEST_CONFIG, make_env, start_console
from tests.observability_fixtures import (  # noqa: F401 - fixtures
    bot_url,
    scrape,
    value,
)
from tests.test_cost_slack import CostSlack, ask, cost_slack  # noqa: F401
from tests.test_e2e_console import all_text


def test_readyz_and_healthz_say_when_migrations_are_behind(services: Services) -> None:
    from alembic import command

    from bot.server import start_http_in_thread
    from storage.migrate import alembic_config

    running = start_http_in_thread(services, token_verification=False)
    try:
        ready = requests.get(f"{running.url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["ready"] is True
        command.downgrade(alembic_config(services.db.engine), "0005")
        behind = requests.get(f"{running.url}/readyz", timeout=5)
        assert behind.status_code == 503
        assert "migrations behind" in behind.json()["problems"][0]
        health = requests.get(f"{running.url}/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["migrations"].startswith("behind")
        upgrade(services.db.engine)
        assert requests.get(f"{running.url}/readyz", timeout=5).status_code == 200
    finally:
        running.stop()


def test_readyz_is_503_when_the_database_is_unreachable(services: Services) -> None:
    gone = Services(
        settings=services.settings,
        config=services.config,
        db=Database("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"),
        aws=services.aws,
    )
    wsgi = ObservedWsgi(lambda e, s: [], gone, commands=())
    seen: dict[str, Any] = {}
    body = b"".join(
        wsgi({"PATH_INFO": "/readyz", "REQUEST_METHOD": "GET"}, lambda s, h: seen.update(s=s))
    )
    assert seen["s"].startswith("503")
    assert json.loads(body)["problems"] == ["database unreachable"]


def test_usage_ledger_adds_deltas_from_several_processes(database_url: str) -> None:
    from datetime import UTC, datetime

    db = Database(database_url)
    upgrade(db.engine)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    one, two = UsageLedger(), UsageLedger()  # two processes' ledgers
    one.add("cost_explorer", requests=3, units=3, dollars=Decimal("0.03"))
    two.add("cost_explorer", requests=2, units=2, dollars=Decimal("0.02"))
    two.add("cloudwatch", requests=1, units=1500, dollars=Decimal("0.015"))
    assert one.flush(db, now) == 1 and two.flush(db, now) == 2
    assert one.flush(db, now) == 0  # nothing pending: nothing written twice
    rows = month_usage(db, "2026-12")
    assert rows["cost_explorer"].requests == 5
    assert Decimal(rows["cost_explorer"].dollars) == Decimal("0.05")
    assert rows["cloudwatch"].units == 1500
    assert Decimal(rows["cloudwatch"].dollars) == Decimal("0.015")
    db.dispose()


def test_usage_survives_an_unwritable_database(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    db = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")  # never migrated: no api_usage
    ledger = UsageLedger()
    ledger.add("athena", requests=1, units=10**9, dollars=Decimal("0.005"))
    assert ledger.flush(db, datetime(2026, 12, 1, tzinfo=UTC)) == 0
    assert ledger.take()["athena"].units == 10**9  # kept for the next flush
    db.dispose()


ADMIN_CONFIG = TEST_CONFIG.replace(
    "  digest: {channel: C0MGMT}\n", "  digest: {channel: C0MGMT}\n  admins: [U0LEAD]\n"
)


@pytest.fixture
def admin_stack(tmp_path: Path, sqlite_url: str) -> Iterator[Any]:
    from bot.server import start_http_in_thread

    config = tmp_path / "admin.yml"
    config.write_text(ADMIN_CONFIG)
    console = start_console()
    built = build_services(
        Settings.from_env(make_env(config, sqlite_url, SLACK_API_URL=console.api_url))
    )
    running = start_http_in_thread(built)
    console.bot_url = f"{running.url}/slack/events"
    yield console, built
    running.stop()
    console.stop()
    built.db.dispose()


def test_finops_status_full_for_admins_short_for_others(admin_stack: Any) -> None:
    from jobs.runner import run_job

    console, services = admin_stack
    LEDGER.take()  # start from this test's own counts
    LEDGER.add("cost_explorer", requests=7, units=7, dollars=Decimal("0.07"))
    run_job("housekeeping", services)

    def answer_for(user: str) -> str:
        seen = len(console.ephemerals(user))
        console.send_command(user_id=user, channel_id="C0PAY", text="/finops status")
        message = console.wait_for(lambda: console.ephemerals(user)[seen:], timeout=10)[-1]
        return " ".join(all_text(message))

    full = answer_for("U0LEAD")
    assert "What the bot itself cost this month: $0.07" in full
    assert "Cost Explorer: $0.07 (7 call(s)" in full
    assert "`housekeeping`: ok" in full and "`digest`: never run" in full
    assert "sqlite" in full
    assert "*Slack deliveries*" in full and "0 pending, 0 failed" in full
    short = answer_for("U0DEV")
    assert "$0.07" not in short and "housekeeping" not in short
    assert "for the bot's admins" in short


def test_cli_status_json(
    config_file: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    for key, val in make_env(config_file, sqlite_url).items():
        monkeypatch.setenv(key, val)
    LEDGER.take()
    LEDGER.add("cloudwatch", requests=2, units=1000, dollars=Decimal("0.01"))
    assert main(["status", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    spend = {s["api"]: s for s in report["spend"]}
    assert spend["cloudwatch"] == {
        "api": "cloudwatch",
        "requests": 2,
        "units": 1000,
        "dollars": "0.01",
    }
    assert spend["cost_explorer"]["dollars"] == "0.00" and report["total_dollars"] == "0.01"
    assert report["schema"] == report["head"]
    outbox = next(s for s in report["sections"] if s["title"] == "Slack deliveries")
    assert outbox["data"] == {"pending": 0, "failed": 0}
    assert {j["job"] for j in report["jobs"]} >= {"digest", "budgets", "anomalies"}
    assert main(["status"]) == 0
    assert "API spend this month: $0.01" in capsys.readouterr().out


def test_clock_metrics_port_serves_job_results_from_the_database(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.observability.exposition import start_metrics_port
    from jobs.periods import job_periods
    from jobs.runner import run_job

    run_job("housekeeping", services)
    monkeypatch.setenv("METRICS_PORT", "0")
    port = start_metrics_port(services, job_periods=lambda: job_periods(services))
    assert port
    samples = scrape(f"http://127.0.0.1:{port}")
    assert value(samples, "finops_job_runs", job="housekeeping", outcome="ok") == 1
    assert value(samples, "finops_job_last_success_timestamp_seconds", job="housekeeping") > 0
    assert ("finops_remediation_requests", ()) not in samples  # no requests yet: no samples
    assert value(samples, "finops_job_period_seconds", job="anomalies") == 6 * 3600
    assert value(samples, "finops_job_period_seconds", job="digest") == 7 * 24 * 3600


def test_every_command_answer_is_timed_by_the_dispatcher(admin_stack: Any) -> None:
    from prometheus_client import REGISTRY

    console, _services = admin_stack

    def count() -> float:
        got = REGISTRY.get_sample_value(
            "finops_requests_total", {"command": "/finops", "outcome": "ok"}
        )
        return got or 0.0

    before = count()
    seen = len(console.ephemerals("U0DEV"))
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/finops help")
    console.wait_for(lambda: console.ephemerals("U0DEV")[seen:], timeout=10)
    console.wait_for(lambda: count() == before + 1, timeout=10)
    seconds = REGISTRY.get_sample_value("finops_answer_seconds_count", {"command": "/finops"})
    assert seconds is not None and seconds >= 1


def test_athena_bytes_scanned_reach_the_metrics_and_the_ledger() -> None:
    from prometheus_client import REGISTRY

    from bot.cost.athena import ATHENA_SCANS

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("finops_aws_billed_units_total", api="athena", unit="bytes_scanned")
    dollars = sample("finops_aws_api_dollars_total", api="athena")
    LEDGER.take()
    ATHENA_SCANS.add(2 * 1024**4)  # 2 TB (as Athena counts them) at $5 per TB
    assert sample("finops_aws_billed_units_total", api="athena", unit="bytes_scanned") == (
        before + 2 * 1024**4
    )
    assert sample("finops_aws_api_dollars_total", api="athena") == pytest.approx(dollars + 10.0)
    pending = LEDGER.take()["athena"]
    assert pending.units == 2 * 1024**4 and pending.dollars == Decimal(10)
