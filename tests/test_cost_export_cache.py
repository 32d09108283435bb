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


def _mixed(folder: Path) -> None:
    folder.mkdir()
    (folder / "a.csv").write_text(
        "ChargePeriodStart,BilledCost,BillingCurrency,ServiceName,SubAccountId\n"
        "2024-09-02 00:00:00,1.00,USD,S3,1\n2024-09-03 00:00:00,1.00,EUR,S3,1\n"
    )


def test_days_fetched_apart_in_two_currencies_are_never_added(make_focus_services, tmp_path):
    """Each question alone reads one currency; the month then holds both: refused."""
    import pytest

    from bot.cost.failures import CostUnavailable

    _mixed(tmp_path / "m")
    services = make_focus_services(tmp_path / "m")
    assert answer_cost(services, CostQuery(period="2024-09-02..2024-09-02")).currency == "USD"
    # The 3rd in EUR: compared with the 2nd in USD it would be; it is answered alone.
    third = answer_cost(services, CostQuery(period="2024-09-03..2024-09-03"))
    assert (third.currency, third.total, third.previous_total) == ("EUR", Decimal("1.00"), None)
    with pytest.raises(CostUnavailable) as caught:
        answer_cost(services, CostQuery(period="2024-09"))
    assert "mixes currencies (EUR, USD)" in str(caught.value)
    assert "never added up" in str(caught.value)


def test_check_config_warns_of_mixed_currencies_in_one_line(tmp_path, capsys):
    from bot.check_config import check_config
    from bot.config import Settings
    from tests.conftest import make_env
    from tests.focus_fixtures import focus_config

    _mixed(tmp_path / "m")
    config = tmp_path / "finops.yml"
    config.write_text(focus_config(tmp_path / "m"))
    settings = Settings.from_env(make_env(config, f"sqlite:///{tmp_path / 'c.db'}"))
    assert check_config(settings) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "currencies" in line]
    assert err == [
        "finops-bot: warning: cost source focus: the export mixes currencies (EUR, USD): "
        "answers over days in more than one currency are refused, amounts are never added "
        "up across them"
    ]


def test_files_changing_between_fetch_and_read_are_read_again(make_focus_services, tmp_path):
    """Another answer saw new files and emptied the memory just after this fetch stored
    its days: the days are read again, never answered as missing (a lower total)."""
    import pytest

    from bot.cost.failures import CostUnavailable

    folder = tmp_path / "e"
    folder.mkdir()
    _write(folder / "a.csv", "1.25")
    services = make_focus_services(folder)
    memo = source_for(services).memo  # type: ignore[attr-defined]
    store, cleared = memo.store, []

    def store_then_lose(*args, **kwargs):  # type: ignore[no-untyped-def]
        store(*args, **kwargs)
        if len(cleared) < 1:
            cleared.append(True)
            memo._slices.clear()

    memo.store = store_then_lose
    assert answer_cost(services, CostQuery(period="2024-09")).total == Decimal("1.35")
    assert cleared == [True]

    def always_lose(*args, **kwargs):  # type: ignore[no-untyped-def]
        store(*args, **kwargs)
        memo._slices.clear()

    memo.store = always_lose
    with pytest.raises(CostUnavailable, match="kept changing"):
        answer_cost(services, CostQuery(period="2024-09", by="account"))


def test_an_s3_listing_is_reused_for_30_seconds_and_errors_are_not_kept(monkeypatch):
    from bot.cost import sources

    clock = [100.0]
    monkeypatch.setattr(sources.time, "monotonic", lambda: clock[0])
    calls: list[int] = []

    def listing() -> str:
        calls.append(1)
        if len(calls) == 2:
            raise SourceFailure("S3 is not answering")
        return f"files-{len(calls)}"

    files = sources._reuse(listing, sources.S3_LISTING_SECONDS)
    assert (files(), files()) == ("files-1", "files-1") and len(calls) == 1
    clock[0] += 31
    import pytest

    with pytest.raises(SourceFailure):
        files()
    assert files() == "files-3" and len(calls) == 3
