"""The `finops-bot anomalies ...` subcommands (wired into bot.cli)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.anomalies.backtest import BacktestError, backtest
from bot.anomalies.detector import Thresholds
from bot.config import AnomaliesConfig, Settings, load_config


def add_parsers(commands: Any) -> None:
    """Add `anomalies backtest --csv FILE`."""
    anomalies = commands.add_parser("anomalies", help="cost anomaly tools")
    actions = anomalies.add_subparsers(dest="anomalies_command", metavar="ACTION", required=True)
    test = actions.add_parser(
        "backtest", help="print (JSON) the days each series of a CSV would have alerted on"
    )
    test.add_argument("--csv", required=True, metavar="FILE", help="columns date,cost[,series]")


def run(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run an `anomalies` subcommand; None when `args` is another command."""
    if args.command != "anomalies":
        return None
    config = AnomaliesConfig()
    if Path(settings.config_path).exists():
        config = load_config(settings.config_path).anomalies
    try:
        result = backtest(args.csv, Thresholds.from_config(config))
    except BacktestError as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0
