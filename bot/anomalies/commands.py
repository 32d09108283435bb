"""The `finops-bot anomalies ...` subcommands (wired into bot.cli)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.anomalies.backtest import BacktestError, Feedback, backtest
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
    test.add_argument(
        "--tuned-from",
        metavar="SERIES",
        help="apply this stored series' feedback (e.g. '*/search/AWS Data Transfer') to every "
        "CSV series; by default a CSV series named like a stored series gets its own",
    )


def run(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run an `anomalies` subcommand; None when `args` is another command."""
    if args.command != "anomalies":
        return None
    config = AnomaliesConfig()
    if Path(settings.config_path).exists():
        config = load_config(settings.config_path).anomalies
    try:
        feedback = _feedback(settings, getattr(args, "tuned_from", None), args.csv)
        result = backtest(args.csv, Thresholds.from_config(config), feedback)
    except BacktestError as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def _feedback(settings: Settings, tuned_from: str | None, csv: str) -> dict[str, Feedback]:
    """Stored feedback by series name, for the series of the CSV (empty without a database
    that holds any)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.anomalies.backtest import read_series
    from bot.anomalies.service import accepted_days, tuning_for
    from storage.db import Database

    names = list(read_series(csv))
    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        if tuned_from:
            raise BacktestError(f"no feedback for {tuned_from!r}: no database at {url}")
        return {}  # no database yet: nothing was tuned (and none is created)
    try:
        db = Database(url)
    except (SQLAlchemyError, ValueError):
        return {}
    found: dict[str, Feedback] = {}
    try:
        with db.session() as session:
            for name in names:
                key = tuned_from or name
                tuned = tuning_for(session, key)
                accepted = accepted_days(session, key)
                if tuned.note or accepted:
                    found[name] = Feedback(tuned.tuning, accepted, tuned.note)
    except SQLAlchemyError:
        if tuned_from:
            raise BacktestError(
                f"no feedback for {tuned_from!r}: the database cannot be read"
            ) from None
        return {}
    finally:
        db.dispose()
    if tuned_from and not found:
        raise BacktestError(f"no feedback stored for series {tuned_from!r}")
    return found
