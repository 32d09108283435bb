"""`finops-bot jobs` prints the schedule the clock really uses (config first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import TEST_CONFIG, make_env


def test_jobs_prints_each_jobs_effective_schedule(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "finops.yml"
    path.write_text(
        TEST_CONFIG + '  schedule: {timezone: Europe/Paris, budgets: "30 6 * * *", digest: "off"}\n'
    )
    for key, value in make_env(path, sqlite_url).items():
        monkeypatch.setenv(key, value)
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "Projected monthly API cost" in out
    assert 'cron "30 6 * * *" (Europe/Paris, from config)' in lines["budgets"]
    assert 'cron "5 */6 * * *" (Europe/Paris, from config)' in lines["anomalies"]
    assert "built in" in lines["housekeeping"]
    assert "off (schedule: off)" in lines["digest"]
