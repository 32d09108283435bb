"""/cost from a FOCUS export read by DuckDB: exact totals of the FOCUS 1.0 sample, checked
against sums made independently with Python's csv module and Decimal."""

from __future__ import annotations

import gzip
import shutil
from decimal import Decimal

import duckdb
import pytest

from bot.config import ConfigError
from bot.cost.query import CostQuery
from bot.cost.service import CostUnavailable, answer_cost
from bot.cost.sources import check_source
from bot.render.cost import cost_message
from tests import focus_fixtures
from tests.focus_fixtures import SAMPLE, SAMPLE_CSV, expected_sums, sample_rows

sample_dir = focus_fixtures.sample_dir
make_focus_services = focus_fixtures.make_focus_services


def _lines(report) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {line.label: line.amount for line in report.lines}


def _none(value: str) -> str:
    return value if value not in ("", "NULL") else "(none)"


@pytest.mark.parametrize("exclude", [[], ["Credit"]])
def test_sample_totals_per_provider_service_and_account(make_focus_services, sample_dir, exclude):
    extra = f"exclude_charge_categories: {exclude}\n" if exclude else ""
    services = make_focus_services(sample_dir, extra=extra)
    rows = sample_rows()
    by = {
        "provider": lambda r: r["ProviderName"],
        "service": lambda r: _none(r["ServiceName"]),
        "account": lambda r: _none(r["SubAccountId"]),
    }
    for dimension, key in by.items():
        report = answer_cost(services, CostQuery(period="2024-09", by=dimension))
        expected = expected_sums(rows, key, exclude=exclude)
        assert _lines(report) == {k: v for k, v in expected.items()}, dimension
        assert report.total == sum(expected.values(), Decimal(0))
        assert report.currency == "USD"
    with_credit = sum(expected_sums(rows, lambda r: "x").values(), Decimal(0))
    without = sum(expected_sums(rows, lambda r: "x", exclude=["Credit"]).values(), Decimal(0))
    assert with_credit != without  # the sample's credit really changes the total
    assert report.total == (without if exclude else with_credit)


def test_sample_answer_names_metric_source_and_providers(make_focus_services, sample_dir):
    services = make_focus_services(sample_dir)
    report = answer_cost(services, CostQuery(period="2024-09", by="service"))
    assert {line.label for line in report.providers} == {"AWS", "Microsoft", "Oracle"}
    text = str(cost_message(report, command="/cost"))
    assert "billed cost (BilledCost)" in text and "billing export (DuckDB)" in text
    assert "Providers: AWS" in text


@pytest.mark.parametrize(
    ("metric", "column"), [("effective", "EffectiveCost"), ("list", "ListCost")]
)
def test_metric_choice(make_focus_services, sample_dir, metric, column):
    services = make_focus_services(sample_dir, extra=f"metric: {metric}\n")
    report = answer_cost(services, CostQuery(period="2024-09", by="provider"))
    expected = expected_sums(sample_rows(), lambda r: r["ProviderName"], column=column)
    assert _lines(report) == expected
    assert f"({column})" in report.metric


def test_mixed_parquet_csv_gz_and_map_tags_give_the_same_totals(make_focus_services, tmp_path):
    """Half the rows as Parquet with Tags as a MAP, the rest as CSV.gz: same sums."""
    folder = tmp_path / "mixed"
    (folder / "p").mkdir(parents=True)
    source = str(SAMPLE / SAMPLE_CSV)
    con = duckdb.connect()
    read = f"read_csv('{source}', all_varchar = true, nullstr = ['NULL'])"
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(CAST(Tags AS JSON) AS MAP(VARCHAR, VARCHAR)) AS Tags, "
        f"CAST(BilledCost AS DECIMAL(38, 12)) AS BilledCost) FROM {read} "
        f"WHERE ProviderName = 'AWS') TO '{folder / 'p' / 'aws.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM {read} WHERE ProviderName <> 'AWS') "
        f"TO '{folder / 'rest.csv'}' (HEADER, NULLSTR 'NULL')"
    )
    with open(folder / "rest.csv", "rb") as raw, gzip.open(folder / "rest.csv.gz", "wb") as gz:
        shutil.copyfileobj(raw, gz)
    (folder / "rest.csv").unlink()
    services = make_focus_services(folder)
    report = answer_cost(services, CostQuery(period="2024-09", by="provider"))
    assert _lines(report) == expected_sums(sample_rows(), lambda r: r["ProviderName"])
    tagged = answer_cost(services, CostQuery(period="2024-09", by="tag:application"))
    expected_app = expected_sums(sample_rows(), lambda r: _app(r["Tags"]))
    wanted = {(k if k else "no application tag"): v for k, v in expected_app.items()}
    shown = {k: v for k, v in _lines(tagged).items() if not k.startswith("Other (")}
    assert len(shown) == 200 and all(wanted[k] == v for k, v in shown.items())
    assert tagged.total == sum(wanted.values(), Decimal(0))


def _app(tags: str) -> str:
    import json

    if tags in ("", "NULL"):
        return ""
    return str(json.loads(tags).get("application", ""))


def test_team_tag_accepts_the_user_prefix(make_focus_services, tmp_path):
    folder = tmp_path / "teams"
    folder.mkdir()
    (folder / "export.csv").write_text(
        "ChargePeriodStart,BilledCost,BillingCurrency,ServiceName,SubAccountId,Tags,ProviderName\n"
        '2024-09-02 00:00:00,1.10,USD,S3,1,"{""team"": ""payments""}",AWS\n'
        '2024-09-02 00:00:00,2.20,USD,S3,1,"{""user:team"": ""payments""}",AWS\n'
        "2024-09-02 00:00:00,4.40,USD,S3,1,,AWS\n"
    )
    services = make_focus_services(folder)
    report = answer_cost(services, CostQuery(team="payments", period="2024-09"))
    assert report.total == Decimal("3.30")
    everyone = answer_cost(services, CostQuery(period="2024-09", by="team"))
    assert _lines(everyone) == {"payments": Decimal("3.30"), "no team tag": Decimal("4.40")}


def test_cur2_parquet_is_detected_from_its_columns(make_focus_services, tmp_path):
    folder = tmp_path / "cur"
    folder.mkdir()
    duckdb.connect().execute(
        "COPY (SELECT * FROM (VALUES "
        "(TIMESTAMP '2024-09-03 00:00:00', 1.25::DECIMAL(18,10), '111111111111', 'USD', "
        "'AmazonEC2', 'us-east-1', 'Usage', MAP {'user_team': 'payments'}), "
        "(TIMESTAMP '2024-09-04 00:00:00', 2.50::DECIMAL(18,10), '111111111111', 'USD', "
        "'AmazonS3', 'us-east-1', 'Credit', MAP {'user_team': 'payments'}), "
        "(TIMESTAMP '2024-09-04 00:00:00', 0.75::DECIMAL(18,10), '222222222222', 'USD', "
        "'AmazonS3', NULL, 'Usage', MAP {'other': 'x'})) AS t("
        "line_item_usage_start_date, line_item_unblended_cost, line_item_usage_account_id, "
        "line_item_currency_code, product_servicecode, product_region_code, "
        f"line_item_line_item_type, resource_tags)) TO '{folder / 'cur.parquet'}' (FORMAT parquet)"
    )
    services = make_focus_services(folder)
    report = answer_cost(services, CostQuery(period="2024-09", by="team"))
    assert _lines(report) == {"payments": Decimal("3.75"), "no team tag": Decimal("0.75")}
    assert "line_item_unblended_cost" in report.metric
    credit_less = make_focus_services(folder, extra="exclude_charge_categories: [credit]\n")
    assert answer_cost(credit_less, CostQuery(period="2024-09")).total == Decimal("2.00")


# -- bad input: one clear line, never a traceback -------------------------------------


def _check_fails(services) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        check_source(services)
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_missing_path_and_empty_directory(make_focus_services, tmp_path):
    assert "does not exist" in _check_fails(make_focus_services(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    assert "holds no CSV, CSV.gz or Parquet files" in _check_fails(
        make_focus_services(tmp_path / "empty")
    )


def test_not_an_export_names_the_missing_columns(make_focus_services, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "people.csv").write_text("name,BilledCost\nada,1\n")
    text = _check_fails(make_focus_services(tmp_path / "x"))
    assert "not a FOCUS export" in text
    assert "BillingCurrency, ChargePeriodStart, ServiceName, SubAccountId" in text


def test_corrupt_parquet(make_focus_services, tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "part-0.parquet").write_bytes(b"PAR1 this is not parquet at all")
    text = _check_fails(make_focus_services(tmp_path / "c"))
    assert "cannot be read" in text
    with pytest.raises(CostUnavailable, match="cannot answer"):
        answer_cost(make_focus_services(tmp_path / "c"), CostQuery(period="2024-09"))


def test_mixed_currencies_are_never_added(make_focus_services, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.csv").write_text(
        "ChargePeriodStart,BilledCost,BillingCurrency,ServiceName,SubAccountId\n"
        "2024-09-02 00:00:00,1.00,USD,S3,1\n2024-09-03 00:00:00,1.00,EUR,S3,1\n"
    )
    services = make_focus_services(tmp_path / "m")
    with pytest.raises(CostUnavailable) as caught:
        answer_cost(services, CostQuery(period="2024-09"))
    assert "mixes currencies (EUR, USD)" in str(caught.value)
    assert "never added up" in str(caught.value)


def test_budgets_digest_anomalies_and_tags_read_the_export(make_focus_services, sample_dir):
    """daily_costs and month_end_forecast (what /budget, the digest, anomalies and /tags
    untagged spend read) answer from the export, exactly, with the forecast method said."""
    from datetime import date

    from bot.cost.service import daily_costs, month_end_forecast

    services = make_focus_services(sample_dir)
    data = daily_costs(
        services, group=("team", "service"), start=date(2024, 9, 1), end=date(2024, 10, 1)
    )
    expected = expected_sums(sample_rows(), lambda r: _none(r["ServiceName"]))
    assert sum(row[3] for row in data.rows) == sum(expected.values(), Decimal(0))
    assert {row[1] for row in data.rows} == {""}  # the sample has no team tags: all untagged
    forecast = month_end_forecast(services, team=None, so_far=Decimal(0))
    assert forecast.month_end is not None and forecast.month_end > 0
    assert "average day of the last 28 days" in forecast.note and " to " in forecast.note
