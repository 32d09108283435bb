"""`finops-bot scan orphans|savings`, `finops-bot audit` and `finops-bot prices refresh`."""

from __future__ import annotations

import csv
import http.server
import io
import json
import threading
from pathlib import Path

import boto3
import pytest

from bot.cli import main
from bot.remediation import service
from tests.conftest import make_env
from tests.orphans_fixtures import CONFIG, Estate, aws, clear_aws_env, services_for  # noqa: F401
from tests.test_orphans_kinds import _alb
from tests.test_remediation_flow import open_request


@pytest.fixture
def cli_env(
    tmp_path: Path,
    sqlite_url: str,
    aws: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    config = tmp_path / "finops.yml"
    config.write_text(CONFIG)
    for key, value in make_env(config, sqlite_url).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def test_scan_orphans_json_and_table(
    cli_env: Path,
    aws: boto3.Session,
    capsys: pytest.CaptureFixture[str],
) -> None:
    estate = Estate(aws)
    volume = estate.volume(100, "gp2", "payments")
    address = estate.address("search", region="eu-west-1")
    assert main(["scan", "orphans", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["resource_id"]: r for r in rows}
    assert set(by_id) == {volume, address}
    for key, value in {
        "resource_type": "ebs-volume",
        "region": "us-east-1",
        "account": "123456789012",
        "team": "payments",
        "monthly_cost": "10.00",
    }.items():
        assert by_id[volume][key] == value
    assert by_id[address]["monthly_cost"] == "3.65" and by_id[address]["team"] == "search"
    assert main(["scan", "orphans", "--format", "table", "--team", "payments"]) == 0
    table = capsys.readouterr().out
    assert volume in table and address not in table and "Total: $10.00/month" in table
    assert main(["scan", "orphans", "--team", "paymnts"]) == 2
    assert "did you mean payments?" in capsys.readouterr().err


def test_scan_savings_json_and_table(
    cli_env: Path,
    aws: boto3.Session,
    capsys: pytest.CaptureFixture[str],
) -> None:
    estate = Estate(aws)
    orphan = estate.volume(100, "gp2", "payments")  # $10 waste; also a $2 gp3 candidate
    attached_like = estate.volume(50, "gp2", "search", region="eu-west-1")
    assert main(["scan", "savings", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["resource_id"], r["source"], r["monthly_cost"]) for r in rows] == [
        (orphan, "orphans", "10.00"),
        (attached_like, "orphans", "5.50"),
    ]
    assert main(["scan", "savings", "--team", "payments"]) == 0
    table = capsys.readouterr().out
    assert orphan in table and attached_like not in table and "Total: $10.00/month" in table
    assert main(["scan", "savings", "--region", "mars-1"]) == 2
    assert "not scanned" in capsys.readouterr().err


def test_audit_json_csv_since(
    cli_env: Path,
    sqlite_url: str,
    aws: boto3.Session,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = services_for(cli_env, sqlite_url)
    request_id = open_request(services, Estate(aws).volume(10, "gp2", "payments"))
    service.decide(services, request_id, user="U0LEAD", approve=False)
    assert main(["audit", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["requested", "rejected"]
    assert rows[1]["decided_by"] == "U0LEAD" and rows[0]["decided_by"] is None
    assert main(["audit", "--format", "csv", "--since", "2000-01-01"]) == 0
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["status"] for r in parsed] == ["requested", "rejected"]
    assert main(["audit", "--since", "2999-01-01"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["audit", "--since", "yesterday"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_prices_refresh_without_the_pricing_api_exits_1(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = Path("bot/findings/prices.json").read_text()
    catalogue = Path("bot/advice/instances.json").read_text()
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", "http://127.0.0.1:9")
    assert main(["prices", "refresh"]) == 1
    err = capsys.readouterr().err
    assert "AWS Pricing API could not be used" in err and "left unchanged" in err
    assert "neither prices.json nor instances.json was changed" in err
    assert Path("bot/findings/prices.json").read_text() == before
    assert Path("bot/advice/instances.json").read_text() == catalogue


def test_scan_orphans_table_has_short_ids_and_names_json_keeps_arns(
    cli_env: Path, aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = Estate(aws)
    estate.volume(100, "gp2", "payments", Name="build-cache-from-the-old-ci-runner-2019")
    arn = _alb(aws, "idle-web", None)
    assert main(["scan", "orphans", "--format", "json"]) == 0
    assert arn in {r["resource_id"] for r in json.loads(capsys.readouterr().out)}
    assert main(["scan", "orphans", "--format", "table"]) == 0
    table = capsys.readouterr().out
    header = table.splitlines()[0].split()
    assert "NAME" in header and "RESOURCE" in header
    assert arn not in table and "app/idle-web/" in table
    assert "build-cache-from-the-old-ci…" in table
    assert max(len(line) for line in table.splitlines()) < 160


class HtmlErrors(http.server.BaseHTTPRequestHandler):
    """An endpoint that answers every call with an HTML 500 page (as a broken proxy does)."""

    PAGE = b"<!doctype html><html><head><title>500 Internal Server Error</title></head></html>"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


def test_scan_orphans_exits_non_zero_when_every_target_failed(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HtmlErrors)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    clear_aws_env(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    config = tmp_path / "finops.yml"
    config.write_text(CONFIG.replace("[us-east-1, eu-west-1]", "[us-east-1]"))
    for key, value in make_env(config, sqlite_url).items():
        monkeypatch.setenv(key, value)
    try:
        assert main(["scan", "orphans", "--format", "table"]) == 1
    finally:
        server.shutdown()
    err = capsys.readouterr().err
    assert "every target failed" in err
    assert "<html" not in err.lower() and "500 Internal Server Error" in err
