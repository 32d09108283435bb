"""Slices of a DuckDB-read export are cached in memory per version of the files: never
written to the SQL cost cache, read again (exactly) when a file is rewritten, and served
"as of" when the files cannot be listed."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb
from sqlalchemy import func, select

from bot.cost.export_files import SourceFailure
from bot.cost.query import CostQuery
from bot.cost.service import answer_cost
from bot.cost.sources import source_for
from storage.models_cost import CostDay, CostRow
from tests import focus_fixtures

make_focus_services = focus_fixtures.make_focus_services

HEADER = "ChargePeriodStart,BilledCost,BillingCurrency,ServiceName,SubAccountId,ProviderName\n"


def _write(path: Path, amount: str) -> None:
    path.write_text(
        HEADER
        + f"2024-09-02 00:00:00,{amount},USD,S3,1,AWS\n"
        + "2024-09-03 00:00:00,0.10,USD,EC2,1,AWS\n"
    )


def test_export_slices_skip_the_sql_cache_and_follow_rewritten_files(make_focus_services, tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    _write(folder / "a.csv", "1.25")
    services = make_focus_services(folder)
    first = answer_cost(services, CostQuery(period="2024-09", by="service"))
    assert first.total == Decimal("1.35")
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CostRow)) == 0
        assert session.scalar(select(func.count()).select_from(CostDay)) == 0
    again = answer_cost(services, CostQuery(period="2024-09", by="service"))
    assert again.total == first.total
    _write(folder / "a.csv", "2.000000000001")  # AWS rewrites the month's file
    stat = os.stat(folder / "a.csv")
    os.utime(folder / "a.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    rewritten = answer_cost(services, CostQuery(period="2024-09", by="service"))
    assert rewritten.total == Decimal("2.100000000001")


def test_files_not_listable_answer_from_memory_as_of(make_focus_services, tmp_path, monkeypatch):
    folder = tmp_path / "e"
    folder.mkdir()
    _write(folder / "a.csv", "1.25")
    services = make_focus_services(folder)
    assert answer_cost(services, CostQuery(period="2024-09")).total == Decimal("1.35")
    engine = source_for(services).engine  # type: ignore[attr-defined]

    def down() -> None:
        raise SourceFailure("S3 is not answering")

    monkeypatch.setattr(engine, "_files", down)
    report = answer_cost(services, CostQuery(period="2024-09"))
    assert report.total == Decimal("1.35")
    assert report.problem is not None and "not answering" in report.problem
    assert report.data_as_of is not None


def test_provider_lines_from_parquet_statistics(make_focus_services, tmp_path):
    """Several providers in Parquet: a provider line each; one provider: none."""
    for name, providers in (("one", ["AWS", "AWS"]), ("two", ["AWS", "Microsoft"])):
        folder = tmp_path / name
        folder.mkdir()
        values = ", ".join(
            f"(TIMESTAMP '2024-09-0{n + 2}', CAST('1.5' AS DECIMAL(38, 12)), 'USD', 'S3', '1', "
            f"'{p}')"
            for n, p in enumerate(providers)
        )
        duckdb.sql(
            f"COPY (SELECT * FROM (VALUES {values}) AS t(ChargePeriodStart, BilledCost, "
            "BillingCurrency, ServiceName, SubAccountId, ProviderName)) "
            f"TO '{folder / 'x.parquet'}' (FORMAT parquet)"
        )
        report = answer_cost(make_focus_services(folder), CostQuery(period="2024-09"))
        assert report.total == Decimal("3")
        lines = {line.label: line.amount for line in report.providers}
        assert lines == (
            {} if name == "one" else {"AWS": Decimal("1.5"), "Microsoft": Decimal("1.5")}
        )
