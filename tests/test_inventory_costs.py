"""The projected GetMetricData cost `finops-bot jobs` prints: the issue's own figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.config import load_config
from bot.inventory.costs import projected_costs
from bot.inventory.schedule_cost import job_minutes


def config(tmp_path: Path, extra: str = "") -> object:
    path = tmp_path / "finops.yml"
    path.write_text(f"finops:\n  regions: [us-east-1]\n  default_channel: C0X\n{extra}")
    return load_config(path)


def test_daily_metrics_refresh_costs_15_dollars_at_50000_instances(tmp_path: Path) -> None:
    daily = projected_costs(config(tmp_path), {"rightsizing": 50_000})  # type: ignore[arg-type]
    rightsizing = next(c for c in daily if c.kind == "rightsizing")
    assert rightsizing.refreshes_per_month == 30 and rightsizing.cost == Decimal("15.00")
    eager = config(tmp_path, "  inventory: {kind_max_age_minutes: {rightsizing: 30}}\n")
    half_hourly = projected_costs(eager, {"rightsizing": 50_000})  # type: ignore[arg-type]
    assert next(c for c in half_hourly if c.kind == "rightsizing").cost == Decimal("720.00")
    assert {c.kind for c in daily} == {"rightsizing", "ecs", "s3-lifecycle"}  # describe kinds free


def test_job_interval_from_a_cron_line() -> None:
    assert job_minutes(None) == 30
    assert job_minutes("*/10 * * * *") == 10
    assert job_minutes("0 * * * *") == 60
