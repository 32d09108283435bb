"""Periods from a billing export: any period its data covers (no Cost Explorer 14-month
limit), a clear answer for a period outside it; Cost Explorer keeps its limit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bot.args import ArgumentError
from bot.config import load_config
from bot.cost.periods import parse_period, previous_period
from bot.cost.query import CostQuery, parse_query
from bot.cost.service import answer_cost
from tests import focus_fixtures
from tests.focus_fixtures import SAMPLE, SAMPLE_CSV, expected_sums, sample_rows

sample_dir = focus_fixtures.sample_dir
make_focus_services = focus_fixtures.make_focus_services

#: 20 months after the sample's September 2024.
LATER = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
TODAY = date(2025, 3, 15)


def test_unlimited_periods_reach_any_year_and_never_crash() -> None:
    period = parse_period("2023-01", TODAY, limited=False)
    assert (period.start, period.end) == (date(2023, 1, 1), date(2023, 2, 1))
    previous = previous_period(period, TODAY, limited=False)
    assert previous is not None and previous.start == date(2022, 12, 1)
    oldest = parse_period("0001-01-01..0001-01-02", TODAY, limited=False)
    assert previous_period(oldest, TODAY, limited=False) is None
    with pytest.raises(ArgumentError, match="too old: Cost Explorer keeps data"):
        parse_period("2023-01", TODAY)


def _parquet_dir(tmp_path: Path) -> Path:
    target = tmp_path / "parquet"
    target.mkdir()
    read = f"read_csv('{SAMPLE / SAMPLE_CSV}', all_varchar = true, nullstr = ['NULL'])"
    duckdb.sql(  # typed as AWS writes it: timestamps, exact decimals
        "COPY (SELECT * REPLACE (CAST(ChargePeriodStart AS TIMESTAMP) AS ChargePeriodStart, "
        f"CAST(BilledCost AS DECIMAL(38, 12)) AS BilledCost) FROM {read}) "
        f"TO '{target / 'sample.parquet'}' (FORMAT parquet)"
    )
    return target


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_export_answers_a_month_20_months_back_exactly(
    make_focus_services, sample_dir, tmp_path, form
):
    path = sample_dir if form == "csv" else _parquet_dir(tmp_path)
    services = make_focus_services(path, now=LATER)
    parsed = parse_query(
        "period=2024-09 by=service", services.config, LATER.date(), command="/cost"
    )
    report = answer_cost(services, parsed.query)
    expected = expected_sums(sample_rows(), lambda r: r["ServiceName"])
    assert report.total == sum(expected.values(), Decimal(0))
    # A year holding the export: covered from its first day, said so, no Cost Explorer talk.
    whole = answer_cost(services, CostQuery(period="2024-01-01..2024-12-31", by="service"))
    assert whole.total == report.total
    note = " ".join(whole.notes)
    assert "Cost data starts on 2024-09-01" in note and "billing export has nothing before" in note
    assert "Cost Explorer" not in note


@pytest.mark.parametrize("form", ["csv", "parquet"])
@pytest.mark.parametrize("text", ["ytd", "2023-05", "30d"])
def test_a_period_outside_the_export_says_what_it_covers(
    make_focus_services, sample_dir, tmp_path, form, text
):
    path = sample_dir if form == "csv" else _parquet_dir(tmp_path)
    services = make_focus_services(path, now=LATER)
    with pytest.raises(ArgumentError) as caught:
        answer_cost(services, CostQuery(period=text))
    assert "the billing export covers 2024-09-01 to 2024-09-30" in str(caught.value)


def test_cost_explorer_keeps_its_limit_and_message(tmp_path):
    config = tmp_path / "ce.yml"
    config.write_text("finops:\n  regions: [us-east-1]\n  default_channel: C0FINOPS\n")
    with pytest.raises(ArgumentError) as caught:
        parse_query("period=2024-09", load_config(config), LATER.date(), command="/cost")
    assert "too old: Cost Explorer keeps data from 2025-04-01 on" in str(caught.value)


def test_cli_exits_2_for_a_period_outside_the_export(make_focus_services, sample_dir, capsys):
    import argparse

    from bot.cost import cli as cost_cli

    services = make_focus_services(sample_dir, now=LATER)
    names = ("team", "by", "service", "account", "region")
    args = argparse.Namespace(**{n: None for n in names}, period="ytd", format="json")
    assert cost_cli.run(args, services) == 2
    assert "the billing export covers 2024-09-01 to 2024-09-30" in capsys.readouterr().err


def test_a_gap_inside_the_export_is_said_not_just_zero(make_focus_services, tmp_path):
    folder = tmp_path / "gap"
    folder.mkdir()
    (folder / "a.csv").write_text(
        "ChargePeriodStart,BilledCost,BillingCurrency,ServiceName,SubAccountId\n"
        "2024-09-02 00:00:00,1.00,USD,S3,1\n2024-09-20 00:00:00,2.00,USD,S3,1\n"
    )
    services = make_focus_services(folder)
    report = answer_cost(services, CostQuery(period="2024-09-10..2024-09-12"))
    assert report.total == Decimal(0)
    assert "The billing export has no cost rows for Sep 10 - Sep 12, 2024." in report.notes
