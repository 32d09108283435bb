"""What handlers and jobs need, built once per process and passed down explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.aws import AwsClients
from bot.config import FinopsConfig, Settings, load_config

if TYPE_CHECKING:  # imported in `build_services`: importing this module opens nothing
    from storage.db import Database


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Settings, config, database, AWS clients and the clock."""

    settings: Settings
    config: FinopsConfig
    db: Database
    aws: AwsClients
    now: Callable[[], datetime] = field(default=utc_now)


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Load config, open the database (migrating it to head) and prepare AWS access.

    Raises ConfigError for a bad config file.
    """
    from storage.db import Database
    from storage.migrate import upgrade

    config = load_config(settings.config_path)
    db = Database(settings.database_url)
    if migrate:
        upgrade(db.engine)
    return Services(settings=settings, config=config, db=db, aws=AwsClients(config))
