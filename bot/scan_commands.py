"""`finops-bot scan orphans|savings`, `finops-bot audit` and `finops-bot prices refresh`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.args import ArgumentError
from bot.aws import AwsClients

if TYPE_CHECKING:  # `scan orphans` runs without the database (see `scan_orphans`)
    from bot.config import FinopsConfig, Settings
    from bot.findings.scope import ScanFilter, ScanResult
    from bot.services import Services


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add the three subcommands to the CLI."""
    scan = commands.add_parser("scan", help="scan for waste and print it (for scripts)")
    what = scan.add_subparsers(dest="scan_what", metavar="WHAT", required=True)
    orphans = what.add_parser("orphans", help="orphaned resources, like /orphans")
    orphans.add_argument("--format", choices=("json", "table"), default="table")
    orphans.add_argument("--team")
    orphans.add_argument("--region")
    orphans.add_argument("--kind")
    savings = what.add_parser("savings", help="every recommendation by saving, like /savings")
    savings.add_argument("--format", choices=("json", "table"), default="table")
    savings.add_argument("--team")
    savings.add_argument("--region")
    audit = commands.add_parser("audit", help="print the audit log (or --verify it)")
    audit.add_argument("--format", choices=("json", "csv"), default="json")
    audit.add_argument("--since", help="only events on or after this date (2026-11-01)")
    audit.add_argument(
        "--verify",
        action="store_true",
        help="check every request has the events its state needs; exit 1 listing those that don't",
    )
    prices = commands.add_parser("prices", help="the price table used for waste estimates")
    prices_what = prices.add_subparsers(dest="prices_what", metavar="ACTION", required=True)
    prices_what.add_parser(
        "refresh", help="update prices.json and instances.json from the AWS Pricing API"
    )


def run(args: argparse.Namespace, services: Services) -> int | None:
    """Run one of these commands; None when `args` is not one of them."""
    if args.command == "scan":
        return _scan(args, services)
    if args.command == "audit":
        return _audit(args, services)
    if args.command == "prices":
        return _prices_refresh(services)
    return None


def scan_orphans(args: argparse.Namespace, settings: Settings) -> int:
    """`finops-bot scan orphans`: a live scan, printed. It reads AWS and writes nothing,
    so it opens no database (and runs no migration): a script's start-up stays short."""
    from bot.config import load_config

    config = load_config(settings.config_path)
    return _scan_live(args, config, AwsClients(config), lambda: datetime.now(UTC))


def _scan(args: argparse.Namespace, services: Services) -> int:
    if args.scan_what == "orphans":
        return _scan_live(args, services.config, services.aws, services.now)
    from bot.orphans.report import as_json, as_table
    from bot.orphans.scanner import ScanResult

    scope = _scope(args, services.config)
    if scope is None:
        return 2
    from bot.advice.savings import collect_savings

    report = collect_savings(services, scope)
    result = ScanResult(
        targets=0, findings=[i.finding for i in report.items], failures=report.failures
    )
    sources = {i.finding.resource_id: i.source for i in report.items}
    print(as_json(result, sources) if args.format == "json" else as_table(result))
    return _report_failures(result)


def _scope(args: argparse.Namespace, config: FinopsConfig) -> ScanFilter | None:
    from bot.orphans.query import check_scope

    try:
        return check_scope(
            config, team=args.team, region=args.region, kind=getattr(args, "kind", None)
        )
    except ArgumentError as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        return None


def _scan_live(
    args: argparse.Namespace,
    config: FinopsConfig,
    aws: AwsClients,
    now: Callable[[], datetime],
) -> int:
    from bot.orphans.report import as_json, as_table
    from bot.orphans.scanner import scan

    scope = _scope(args, config)
    if scope is None:
        return 2
    result = scan(aws, config, now=now, scope=scope)
    print(as_json(result) if args.format == "json" else as_table(result))
    return _report_failures(result)


def _report_failures(result: ScanResult) -> int:
    for failure in result.failures:
        print(
            f"finops-bot: not scanned {failure.where} ({failure.kind}): {failure.message}",
            file=sys.stderr,
        )
    if result.every_scan_failed:
        print("finops-bot: nothing could be scanned (every target failed)", file=sys.stderr)
        return 1
    return 0


def _audit(args: argparse.Namespace, services: Services) -> int:
    from bot.audit_export import run_audit

    return run_audit(services, fmt=args.format, since=args.since, verify=args.verify)


def _prices_refresh(services: Services) -> int:
    from bot.advice.catalogue import CATALOGUE_PATH
    from bot.advice.catalogue_refresh import PRICING_CONFIG, prepare
    from bot.findings.prices import PRICES_PATH
    from bot.orphans.prices_refresh import PricingUnavailable, refresh

    client = AwsClients(services.config, client_config=PRICING_CONFIG).client(
        "pricing", region="us-east-1"
    )
    try:
        # The catalogue is read first and written last: when the API fails, neither changes.
        catalogue = prepare(client)
        changed = refresh(client)
    except PricingUnavailable as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        print(
            f"finops-bot: neither {PRICES_PATH.name} nor {CATALOGUE_PATH.name} was changed",
            file=sys.stderr,
        )
        return 1
    catalogue.save()
    for name, lines in ((PRICES_PATH.name, changed), (CATALOGUE_PATH.name, catalogue.changed)):
        print(f"{name}: {len(lines)} figure(s) changed")
        for line in lines:
            print(f"  {line}")
    return 0
