"""Helpers for the clock, lease and alert tests: a hand-moved clock, services on any DB."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.services import Services, build_services
from tests.conftest import TEST_CONFIG, make_env


class ManualClock:
    """A clock tests move by hand (thread-safe enough for reads)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def services_on(
    tmp_path: Path, database_url: str, *, extra_config: str = "", **env: str
) -> Services:
    """Services on `database_url` with the test config plus `extra_config` (under finops:)."""
    path = tmp_path / "finops.yml"
    text = TEST_CONFIG + textwrap.indent(textwrap.dedent(extra_config), "  ")
    path.write_text(text)
    return build_services(Settings.from_env(make_env(path, database_url, **env)))
