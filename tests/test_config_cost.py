"""cost.source / cost.focus / cost.athena / cost.metric / exclusions: one clear line each."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

BASE = """\
finops:
  regions: [us-east-1]
  default_channel: C0FINOPS
  cost:
"""


def _load(tmp_path: Path, cost: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "finops.yml"
    path.write_text(BASE + textwrap.indent(textwrap.dedent(cost), "    "))
    return load_config(path)


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("source: focus\n", "source is focus, so cost.focus.path is needed"),
        ("source: athena\n", "source is athena, so cost.athena"),
        ("source: bigquery\n", "cost.source"),
        ("metric: list\n", "metric list (ListCost) needs an export source"),
        ("source: focus\nfocus: {path: x}\nmetric: net\n", "metric net (NetUnblendedCost)"),
        ("exclude_charge_categories: [Credits]\n", '"Credits" is not a FOCUS ChargeCategory'),
        (
            "source: athena\nathena: {database: cur, table: 'a;b'}\n",
            '"a;b" must be a plain name',
        ),
        (
            "source: athena\nathena: {database: cur, table: t, output_location: /tmp}\n",
            "must be an s3:// location",
        ),
        ("source: focus\nfocus: {pth: x}\n", "cost.focus.path is missing"),
    ],
)
def test_bad_cost_settings_are_one_line(tmp_path, cost, message):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, cost)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_good_settings(tmp_path):
    cost = _load(
        tmp_path,
        "source: focus\nfocus: {path: ./x}\nmetric: effective\n"
        "exclude_charge_categories: [credit, Tax]\n",
    ).cost
    assert (cost.source, cost.metric) == ("focus", "effective")
    assert cost.exclude_charge_categories == ["Credit", "Tax"]
    assert cost.answer_budget_seconds == 8
