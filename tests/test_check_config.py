"""`finops-bot check-config`: warnings for what would not work, one line for an
unreachable database, and nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.check_config import config_warnings
from bot.config import load_config
from bot.remediation.authz import deciders
from tests.conftest import TEST_CONFIG, make_env

BIN = [sys.executable, "-m", "bot.cli"]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        BIN + args,
        env={**os.environ, **env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def with_empty_approvers(tmp_path: Path, default: list[str] | None = None) -> Path:
    data = yaml.safe_load(TEST_CONFIG)
    data["finops"]["teams"]["search"]["approvers"] = []
    if default is not None:
        data["finops"]["remediation"] = {"default_approvers": default}
    path = tmp_path / "finops.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_team_nobody_can_approve_for_is_a_warning(tmp_path: Path) -> None:
    config = load_config(with_empty_approvers(tmp_path))
    [warning] = config_warnings(config)
    assert "teams.search.approvers is empty" in warning


def test_default_approvers_cover_a_team_without_approvers(tmp_path: Path) -> None:
    config = load_config(with_empty_approvers(tmp_path, ["U0BOSS"]))
    assert config_warnings(config) == []
    assert deciders(config, team="search", owner=None, resolve_email=None) == ["U0BOSS"]


def test_check_config_prints_the_warning_and_exits_ok(tmp_path: Path) -> None:
    config = with_empty_approvers(tmp_path)
    result = run(["check-config"], make_env(config, f"sqlite:///{tmp_path / 'x.db'}"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "teams.search.approvers is empty" in result.stderr
    assert not (tmp_path / "x.db").exists()  # check-config creates nothing


def test_unreachable_database_is_one_line_and_creates_no_file(
    tmp_path: Path, config_file: Path
) -> None:
    work = tmp_path / "here"
    work.mkdir()
    env = make_env(config_file, "postgresql://finops:secret@127.0.0.1:1/finops")
    result = run(["check-config"], env, work)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("finops-bot: database postgresql+psycopg://finops:***@127.0.0.1:1/")
    assert "cannot be reached" in line and "secret" not in line
    assert list(work.iterdir()) == []
