"""Shared set-up for the `/cost` benchmarks: a 5-team estate, its config, the stand-in."""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from standins.cost_explorer import CostExplorerStandin, LineItem
from standins.demo_data import DEV_ACCOUNT, demo_line_items

TEAMS = ("payments", "search", "data", "ml", "web")
CONFIG = textwrap.dedent(
    """\
    finops:
      regions: [us-east-1, eu-west-1]
      default_channel: C0FINOPS
      teams:
        payments: {channel: C0PAY, monthly_budget: 6000}
        search:   {channel: C0SRCH, monthly_budget: 5000}
        data:     {channel: C0DATA}
        ml:       {channel: C0ML, monthly_budget: 2000}
        web:      {channel: C0WEB}
    """
)


def five_team_items(today: date) -> list[LineItem]:
    """The demo estate with two more teams: data's eu-west-1 spend is ml's, dev's untagged
    compute is web's (so untagged spend remains too)."""
    items = []
    for item in demo_line_items(today=today):
        tags = dict(item.tags)
        if tags.get("Team") == "data" and item.region == "eu-west-1":
            tags["Team"] = "ml"
        elif not tags and item.account_id == DEV_ACCOUNT and "BoxUsage" in item.usage_type:
            tags["Team"] = "web"
        items.append(replace(item, tags=tags))
    return items


def setup_environment(today: date) -> tuple[CostExplorerStandin, Path]:
    """Start the stand-in, point boto3 at it, write the config; returns (stand-in, workdir)."""
    workdir = Path(tempfile.mkdtemp(prefix="finops-bench-"))
    (workdir / "finops.yml").write_text(CONFIG)
    ce = CostExplorerStandin(five_team_items(today), today=today)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_COST_EXPLORER": ce.start(),
            "FINOPS_CONFIG": str(workdir / "finops.yml"),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        }
    )
    return ce, workdir
