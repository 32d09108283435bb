"""`finops-bot check-config`: validate finops.yml and the environment, change nothing.

The config is loaded as at start; warnings name what would not work (a team nobody
could approve for). The database is only asked a trivial question: no migration, and no
SQLite file is created.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.config import FinopsConfig, Settings, load_config, redact_url


def config_warnings(config: FinopsConfig) -> list[str]:
    """What is valid but would not work as people expect."""
    warnings = []
    if not config.remediation.default_approvers:
        for name, team in sorted(config.teams.items()):
            if not team.approvers:
                warnings.append(
                    f"teams.{name}.approvers is empty and remediation.default_approvers is "
                    "not set: only a resource's owner could approve its cleanups"
                )
    return warnings


def database_problem(url: str) -> str | None:
    """Why the database cannot be reached (one line), or None when it answers."""
    shown = redact_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        return f"DATABASE_URL {shown} is not a database URL ({exc})"
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or Path(database).exists():
            return None
        if not Path(database).resolve().parent.is_dir():
            return f"DATABASE_URL {shown}: folder {Path(database).parent} does not exist"
        return None  # created on first start; check-config creates nothing
    engine = create_engine(url, connect_args=_timeout(parsed.get_backend_name()))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return f"database {shown} cannot be reached: {first}"
    finally:
        engine.dispose()
    return None


def _timeout(backend: str) -> dict[str, int]:
    return {"connect_timeout": 5} if backend == "postgresql" else {}


def check_config(settings: Settings) -> int:
    """Print `ok` (and any warnings), or one line per problem; the exit status."""
    config = load_config(settings.config_path)
    for warning in config_warnings(config):
        print(f"finops-bot: warning: {settings.config_path}: {warning}", file=sys.stderr)
    problem = database_problem(settings.database_url)
    if problem:
        print(f"finops-bot: {problem}", file=sys.stderr)
        return 2
    from bot.cost.sources import check_source, source_warnings
    from bot.services import build_services

    services = build_services(settings, migrate=False)  # no migration, no file created
    try:
        check_source(services)  # ConfigError (one line) when the cost export is unusable
        for warning in source_warnings(services):
            print(f"finops-bot: warning: {warning}", file=sys.stderr)
    finally:
        services.db.dispose()
    print(f"{settings.config_path}: ok ({len(config.teams)} teams)")
    return 0
