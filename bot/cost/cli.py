"""`finops-bot cost`: the `/cost` answer for scripts (json, table or csv on stdout)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.args import ArgumentError

from .query import CostQuery, parse_query
from .report import CostReport

if TYPE_CHECKING:  # imported in `run`: building the CLI parser opens nothing
    from bot.services import Services


def add_parser(commands: Any) -> None:
    """Register `cost` on the `finops-bot` sub-commands."""
    cost = commands.add_parser("cost", help="print a /cost answer (json, table or csv)")
    for name in ("team", "period", "by", "service", "account", "region"):
        cost.add_argument(f"--{name}", help=f"as /cost {name}=")
    cost.add_argument("--format", choices=("json", "table", "csv"), default="table")


def run(args: argparse.Namespace, services: Services) -> int:
    """Answer and print; exit 2 with the same message as Slack for bad input."""
    from .service import CostUnavailable, answer_cost

    options = [
        f'{name}="{value}"' if " " in value else f"{name}={value}"
        for name in ("team", "period", "by", "service", "account", "region")
        if (value := getattr(args, name)) is not None
    ]
    try:
        parsed = parse_query(
            " ".join(options), services.config, services.now().date(), command="cost"
        )
        report = answer_cost(services, parsed.query)
    except ArgumentError as exc:
        print(f"finops-bot cost: {exc}", file=sys.stderr)
        return 2
    except CostUnavailable as exc:
        print(f"finops-bot cost: {exc}", file=sys.stderr)
        return 1
    print(render(report, args.format), end="")
    return 0


def as_json(report: CostReport) -> dict[str, Any]:
    """The answer as plain JSON (amounts as exact decimal strings)."""
    query: CostQuery = report.query
    data: dict[str, Any] = {
        "total": str(report.total),
        "currency": report.currency,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),  # exclusive
        "metric": report.metric,
        "source": report.source,
        "by": report.dimension,
        "query": query.to_json(),
        "lines": [{"key": line.label, "amount": str(line.amount)} for line in report.lines],
    }
    if report.previous_total is not None:
        data["previous_total"] = str(report.previous_total)
    if report.providers:
        data["providers"] = [{"key": p.label, "amount": str(p.amount)} for p in report.providers]
    if report.forecast is not None and report.forecast.month_end is not None:
        data["forecast_month_end"] = str(report.forecast.month_end)
    if report.problem:
        data["problem"] = report.problem
    data["notes"] = list(report.notes)
    return data


def render(report: CostReport, form: str) -> str:
    """json, csv (key,amount rows and a total) or an aligned table."""
    if form == "json":
        return json.dumps(as_json(report), indent=2) + "\n"
    rows = [(line.label, str(line.amount)) for line in report.lines]
    rows.append(("TOTAL", str(report.total)))
    if form == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([report.dimension, f"amount_{report.currency.lower()}"])
        writer.writerows(rows)
        return out.getvalue()
    width = max(len(key) for key, _ in rows)
    head = (
        f"{report.period.start} .. {report.period.end} (exclusive) · {report.metric} · "
        f"{report.source} · {report.currency}\n"
    )
    return head + "".join(f"{key:<{width}}  {amount:>24}\n" for key, amount in rows)
