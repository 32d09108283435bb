"""The Athena call flow against moto's Athena: start, poll, paginated results, bytes
counted; a query past its timeout is cancelled. (moto runs no SQL: results are queued
through its API; the SQL itself is run on DuckDB by the other export tests.)"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import boto3
import pytest
import requests
from moto import mock_aws

from bot.config_cost import AthenaSourceConfig
from bot.cost.athena import ATHENA_SCANS, AthenaEngine
from bot.cost.explorer import SliceSpec
from bot.cost.export_files import SourceFailure
from bot.cost.export_source import ExportSource

CONFIG = AthenaSourceConfig(
    database="cur", table="focus_export", output_location="s3://results/finops/"
)


def _row(*values: str) -> dict:
    return {"Data": [{"VarCharValue": v} for v in values]}


@pytest.fixture
def athena(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("athena", region_name="us-east-1")


def test_results_become_exact_daily_rows(athena):
    rows = [
        _row("day", "currency", "key1", "key2", "amount"),
        _row("2024-09-02", "USD", "payments", "Amazon S3", "1.100000000001"),
        _row("2024-09-02", "USD", "", "Amazon S3", "2.2"),
    ]
    queued = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={"account_id": "123456789012", "region": "us-east-1", "results": [{"rows": rows}]},
        timeout=10,
    )
    assert queued.status_code == 201
    queries_before = ATHENA_SCANS.queries
    source = ExportSource(AthenaEngine(athena, CONFIG), name="athena", team_tag="team")
    days = source.daily(SliceSpec(("team", "service")), date(2024, 9, 1), date(2024, 10, 1))
    assert [d.day for d in days] == [date(2024, 9, 2)]
    assert days[0].amounts == {
        ("payments", "Amazon S3"): Decimal("1.100000000001"),
        ("", "Amazon S3"): Decimal("2.2"),
    }
    assert ATHENA_SCANS.queries == queries_before + 1
    started = athena.list_query_executions()["QueryExecutionIds"]
    sent = athena.get_query_execution(QueryExecutionId=started[-1])["QueryExecution"]
    assert '"cur"."focus_export"' in sent["Query"] and "GROUP BY" in sent["Query"]
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://results/finops/")


class _SlowAthena:
    """A client whose query never finishes (to check cancellation)."""

    def __init__(self) -> None:
        self.stopped: list[str] = []

    def start_query_execution(self, **_: object) -> dict:
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **_: object) -> dict:
        return {"QueryExecution": {"Status": {"State": "RUNNING"}}}

    def stop_query_execution(self, QueryExecutionId: str) -> None:
        self.stopped.append(QueryExecutionId)


def test_query_past_its_timeout_is_cancelled():
    now = [0.0]
    slow = _SlowAthena()
    config = AthenaSourceConfig(database="cur", table="t", timeout_seconds=3)
    engine = AthenaEngine(
        slow, config, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
    with pytest.raises(SourceFailure, match="cancelled"):
        engine.run("SELECT 1")
    assert slow.stopped == ["q-1"]


class _ScriptedAthena(_SlowAthena):
    """A client whose query ends in a given state, with results over several pages."""

    def __init__(self, status: dict, pages: list[list[dict]] | None = None) -> None:
        super().__init__()
        self.status = status
        self.pages = pages or []

    def get_query_execution(self, **_: object) -> dict:
        return {
            "QueryExecution": {"Status": self.status, "Statistics": {"DataScannedInBytes": 10**12}}
        }

    def get_paginator(self, name: str):  # type: ignore[no-untyped-def]
        assert name == "get_query_results"
        pages = self.pages

        class Pages:
            def paginate(self, **_: object):  # type: ignore[no-untyped-def]
                for rows in pages:
                    yield {"ResultSet": {"Rows": rows}}

        return Pages()


def test_every_result_page_is_read_and_the_scan_is_priced(caplog):
    pages = [
        [
            _row("day", "currency", "key1", "key2", "amount"),
            _row("2024-09-01", "USD", "a", "b", "1"),
        ],
        [_row("2024-09-02", "USD", "a", "b", "2.5")],
    ]
    client = _ScriptedAthena({"State": "SUCCEEDED"}, pages)
    engine = AthenaEngine(client, CONFIG, sleep=lambda s: None)
    with caplog.at_level("INFO", logger="bot.cost.athena"):
        rows = engine.run("SELECT 1")
    assert rows == [("2024-09-01", "USD", "a", "b", "1"), ("2024-09-02", "USD", "a", "b", "2.5")]
    assert "scanned 1000000000000 bytes ($4.547474" in caplog.text  # 1e12 bytes at $5/TiB


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("TABLE_NOT_FOUND: line 1:8: Table 'cur.focus_export' does not exist", "has no table"),
        ("Access Denied (Service: Amazon S3; Status Code: 403)", "denied access"),
    ],
)
def test_missing_table_and_access_denied_are_clear(reason, expected):
    from bot.cost.export_files import ExportError

    client = _ScriptedAthena({"State": "FAILED", "StateChangeReason": reason})
    with pytest.raises(ExportError, match=expected) as caught:
        AthenaEngine(client, CONFIG, sleep=lambda s: None).run("SELECT 1")
    assert "\n" not in str(caught.value)
