"""Fixtures for the billing-export sources: services over a FOCUS/CUR directory, exact sums."""

from __future__ import annotations

import csv
import shutil
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services import Services, build_services
from tests.conftest import make_env

#: The FOCUS 1.0 sample (1,000 real anonymized rows, CC BY 4.0: see its LICENSE.md), kept in
#: the repository so the tests run from any clone.
SAMPLE = Path(__file__).resolve().parent / "data" / "focus-1.0-sample"
SAMPLE_CSV = "focus_sample_1000.csv"
NOW = datetime(2024, 10, 15, 12, 0, tzinfo=UTC)


def sample_rows() -> list[dict[str, str]]:
    """The FOCUS 1.0 sample's rows, read with Python's csv module (no DuckDB)."""
    with (SAMPLE / SAMPLE_CSV).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_sums(
    rows: Iterable[dict[str, str]],
    key: Callable[[dict[str, str]], str],
    *,
    column: str = "BilledCost",
    exclude: Iterable[str] = (),
    month: str = "2024-09",
) -> dict[str, Decimal]:
    """Exact sums per key over the rows of `month` (ChargePeriodStart), by Decimal."""
    left_out = set(exclude)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if not row["ChargePeriodStart"].startswith(month) or row["ChargeCategory"] in left_out:
            continue
        value = row[column]
        sums[key(row)] += Decimal(value) if value not in ("", "NULL") else Decimal(0)
    return dict(sums)


def focus_config(path: Path | str, *, extra: str = "") -> str:
    """A finops.yml whose cost source is the export at `path` (`extra`: more cost keys)."""
    return textwrap.dedent(
        f"""\
        finops:
          regions: [us-east-1]
          default_channel: C0FINOPS
          tags: {{team: team}}
          teams:
            payments: {{channel: C0PAY, approvers: [U0LEAD], monthly_budget: 1000}}
          cost:
            top_lines: 200
            source: focus
            focus: {{path: "{path}"}}
        """
    ) + textwrap.indent(textwrap.dedent(extra), "    ")


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A directory holding a copy of the FOCUS 1.0 sample."""
    target = tmp_path / "export"
    target.mkdir()
    shutil.copy(SAMPLE / SAMPLE_CSV, target / SAMPLE_CSV)
    return target


@pytest.fixture
def make_focus_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Services]]:
    """Build services over an export path (config text extras allowed), clock at NOW."""
    built: list[Services] = []
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    def make(path: Path | str, *, extra: str = "", now: datetime = NOW) -> Services:
        n = len(built)
        config = tmp_path / f"finops-{n}.yml"
        config.write_text(focus_config(path, extra=extra))
        url = f"sqlite:///{tmp_path / f'bot-{n}.db'}"
        services = build_services(Settings.from_env(make_env(config, url)))
        services.now = lambda: now
        built.append(services)
        return services

    yield make
    for services in built:
        services.db.dispose()
