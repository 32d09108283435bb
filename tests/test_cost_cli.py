"""`finops-bot cost`: the same answer as /cost, for scripts; exit 2 with /cost's message."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal

from bot.cost import cli as cost_cli
from tests import focus_fixtures
from tests.focus_fixtures import expected_sums, focus_config, sample_rows

sample_dir = focus_fixtures.sample_dir
make_focus_services = focus_fixtures.make_focus_services


def _args(**given: str) -> argparse.Namespace:
    names = ("team", "period", "by", "service", "account", "region")
    return argparse.Namespace(**{n: given.get(n) for n in names}, format=given.get("format"))


def test_json_has_exact_total_and_lines(make_focus_services, sample_dir, capsys):
    services = make_focus_services(sample_dir)
    code = cost_cli.run(_args(period="2024-09", by="provider", format="json"), services)
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    expected = expected_sums(sample_rows(), lambda r: r["ProviderName"])
    assert Decimal(data["total"]) == sum(expected.values(), Decimal(0))
    assert {x["key"]: Decimal(x["amount"]) for x in data["lines"]} == expected
    assert (data["currency"], data["start"], data["end"]) == ("USD", "2024-09-01", "2024-10-01")
    assert data["metric"] == "billed cost (BilledCost)"
    assert data["source"] == "billing export (DuckDB)"


def test_csv_and_table(make_focus_services, sample_dir, capsys):
    services = make_focus_services(sample_dir)
    assert cost_cli.run(_args(period="2024-09", by="provider", format="csv"), services) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["provider", "amount_usd"] and rows[-1][0] == "TOTAL"
    assert {r[0] for r in rows[1:-1]} == {"AWS", "Microsoft", "Oracle"}
    assert cost_cli.run(_args(period="2024-09", format="table"), services) == 0
    assert "TOTAL" in capsys.readouterr().out


def test_bad_input_exits_2_with_the_slack_message(tmp_path, sample_dir):
    config = tmp_path / "cli.yml"
    config.write_text(focus_config(sample_dir))
    env = {
        **os.environ,
        "FINOPS_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--log-level", "ERROR", "cost", "--by", "tem"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert 'Unknown grouping "by=tem" — did you mean team?' in done.stderr
    assert "Traceback" not in done.stderr
