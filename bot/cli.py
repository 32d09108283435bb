"""`finops-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, redact_url

log = logging.getLogger("finops-bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finops-bot",
        description="Slack ChatOps for AWS spend: visibility, waste, approved cleanup.",
    )
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "serve", help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)"
    )
    commands.add_parser("clock", help="run the scheduler process (scheduled jobs)")
    run_job = commands.add_parser("run-job", help="run one scheduled job once and exit")
    run_job.add_argument("name", help="the job's name (see `finops-bot jobs`)")
    commands.add_parser("jobs", help="list the scheduled jobs and their schedules")
    demo = commands.add_parser("demo", help="run everything offline: moto, stand-ins, console, bot")
    demo.add_argument("--port", type=int, default=3030, help="console port (default 3030)")
    demo.add_argument("--host", default="127.0.0.1", help="console address (default 127.0.0.1)")
    demo.add_argument(
        "--keep", action="store_true", help="keep the demo's temporary folder when it stops"
    )
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply migrations (also done on every start)")
    commands.add_parser("check-config", help="validate finops.yml and the environment, then exit")
    from bot import scan_commands as orphan_commands

    status = commands.add_parser(
        "status", help="what the bot costs this month and how it is doing (as /finops status)"
    )
    status.add_argument("--format", choices=("text", "json"), default="text")

    orphan_commands.add_parsers(commands)
    from bot.anomalies import commands as anomaly_commands

    anomaly_commands.add_parsers(commands)
    from bot.slack import commands as outbox_commands

    outbox_commands.add_parsers(commands)
    from bot.cost import cli as cost_cli

    cost_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `finops-bot` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The demo's moto server logs every AWS request it serves; keep the console readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(host=args.host, port=args.port, keep=args.keep)
    settings = Settings.from_env()
    if args.command == "scan" and args.scan_what == "orphans":
        from bot import scan_commands

        return scan_commands.scan_orphans(args, settings)  # a live scan: no database
    if args.command == "check-config":
        from bot.check_config import check_config

        return check_config(settings)
    if args.command == "db":
        from storage.db import Database
        from storage.migrate import current_revision, upgrade

        db = Database(settings.database_url)
        upgrade(db.engine)
        print(f"database {redact_url(db.url)} is at revision {current_revision(db.engine)}")
        return 0
    if args.command == "jobs":
        from bot.config import load_config
        from jobs.clock import describe_schedule
        from jobs.registry import load_jobs

        schedule = load_config(settings.config_path).schedule
        for spec in load_jobs().values():
            when = describe_schedule(spec, schedule)
            print(f"{spec.name:<16} {when:<44} {spec.description}")
        from bot.inventory.schedule_cost import print_projected_cost

        print_projected_cost(settings)
        return 0
    from bot.anomalies import commands as anomaly_commands

    answer = anomaly_commands.run(args, settings)
    if answer is not None:
        return answer
    from bot.services import build_services

    services = build_services(settings)
    log.info("config %s loaded; database %s", settings.config_path, redact_url(services.db.url))
    from bot import scan_commands as orphan_commands

    code = orphan_commands.run(args, services)
    if code is not None:
        return code
    from bot.slack import commands as outbox_commands

    code = outbox_commands.run(args, services)
    if code is not None:
        return code
    from bot.slack.worker import start_worker

    if args.command == "cost":
        from bot.cost import cli as cost_cli

        return cost_cli.run(args, services)
    if args.command in ("check-config", "serve", "clock"):
        from bot.cost.sources import check_source, source_warnings

        source = check_source(services)  # ConfigError (one line) when the export is unusable
        log.info("cost source: %s", source)
        for warning in source_warnings(services):
            log.warning("%s", warning)
    if args.command == "status":
        from bot.observability.cli import print_status
        from jobs.registry import load_jobs

        return print_status(services, fmt=args.format, job_names=sorted(load_jobs()))
    if args.command == "serve":
        from bot.server import serve_http, serve_socket_mode

        socket_mode = settings.slack_app_token is not None
        settings.require_slack(socket_mode=socket_mode)
        start_worker(services)  # delivers the outbox in a background thread
        from bot.remediation.recovery import start_recovery
        from jobs.cleanups import redraw_request

        start_recovery(services, process="serve", redraw=redraw_request)
        if socket_mode:
            serve_socket_mode(services)
        else:
            serve_http(services)
        return 0
    if args.command == "clock":
        from bot.remediation.recovery import start_recovery
        from jobs.cleanups import redraw_request
        from jobs.clock import run_clock

        start_worker(services)
        start_recovery(services, process="clock", redraw=redraw_request)
        run_clock(services)
        return 0
    if args.command == "run-job":
        from jobs.runner import UnknownJob, run_job

        try:
            run = run_job(args.name, services)
        except UnknownJob as exc:
            print(f"finops-bot: {exc}", file=sys.stderr)
            return 2
        print(f"{run.job}: {run.status} {run.detail}".rstrip())
        if services.settings.slack_bot_token is not None:
            from bot.slack.worker import worker_for

            worker_for(services).drain(timeout=10)  # what is left: serve or clock delivers
        return 0 if run.status == "ok" else 1
    raise AssertionError(f"unhandled command {args.command}")  # argparse prevents this


if __name__ == "__main__":
    sys.exit(main())
