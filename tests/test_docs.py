"""The configuration shown in the README and finops.example.yml stays valid."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_loads() -> None:
    config = load_config(ROOT / "finops.example.yml")
    assert config.team_names() == ["payments", "search"]


def test_readme_configuration_reference_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2, "the README shows the base config and the optional sections"
    path = tmp_path / "finops.yml"
    path.write_text(blocks[0] + blocks[1])
    config = load_config(path)
    assert "payments" in config.budgets.restrictions
    assert config.cost.settle_days == 3
    assert config.remediation.request_ttl_hours == 72
