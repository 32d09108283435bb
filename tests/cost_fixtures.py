"""Fixtures for the `/cost` tests: a Cost Explorer stand-in, a settable clock, services."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.cost.cache import Freshness
from bot.services import Services, build_services
from standins.cost_explorer import CostExplorerStandin, LineItem
from tests.conftest import make_env

TODAY = date(2025, 3, 15)
PROD, DEV = "111111111111", "222222222222"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
RDS = "Amazon Relational Database Service"

COST_CONFIG = textwrap.dedent(
    f"""\
    finops:
      regions: [us-east-1, eu-west-1]
      accounts:
        - {{id: "{PROD}", name: prod}}
        - {{id: "{DEV}", name: dev}}
      default_channel: C0FINOPS
      tags: {{team: Team}}
      teams:
        payments: {{channel: C0PAY, approvers: [U0LEAD], monthly_budget: 1000}}
        search:   {{channel: C0SRCH, approvers: [U0SLEAD]}}
      cost:
        settle_days: 3
        ttl_hours: 6
        top_lines: 3
        breaker: {{failure_threshold: 2, recovery_seconds: 30, timeout_seconds: 5,
                   max_attempts: 2}}
    """
)

#: (service, usage type, region) of the small estate; each team/untagged has every one.
_LINES = (
    (EC2, "USE1-BoxUsage:m5.large", "us-east-1"),
    (EC2, "EUW1-BoxUsage:m5.large", "eu-west-1"),
    (S3, "USE1-TimedStorage-ByteHrs", "us-east-1"),
    (RDS, "USE1-InstanceUsage:db.r6g.large", "us-east-1"),
)
_TAGS: tuple[dict[str, str], ...] = (
    {"Team": "payments", "Env": "prod"},
    {"Team": "search"},
    {"Team": "legacy"},
    {},
)


def small_items(today: date = TODAY, days: int = 100) -> list[LineItem]:
    """`days` days before `today`: 2 accounts x 4 lines x 4 tag states, odd 10-place amounts."""
    items = []
    n = 0
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        for account in (PROD, DEV):
            for service, usage_type, region in _LINES:
                for tags in _TAGS:
                    n += 1
                    amount = Decimal(n % 89) + Decimal("0.0123456789") * (n % 7)
                    items.append(
                        LineItem(
                            usage_date=day,
                            account_id=account,
                            region=region,
                            service=service,
                            usage_type=usage_type,
                            amount=amount,
                            tags=tags,
                        )
                    )
    return items


def exact(items: list[LineItem], start: date, end: date, **match: str) -> Decimal:
    """The exact sum over [start, end) of the items matching (team=, service=, account=...)."""
    total = Decimal(0)
    for item in items:
        if not start <= item.usage_date < end:
            continue
        if "team" in match and item.tag("Team") != match["team"]:
            continue
        if "service" in match and item.service != match["service"]:
            continue
        if "account" in match and item.account_id != match["account"]:
            continue
        if "region" in match and item.region != match["region"]:
            continue
        total += item.amount
    return total


class Clock:
    """A settable UTC clock for `services.now`."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.current += timedelta(**delta)


@dataclass
class CostStack:
    """Services wired to a Cost Explorer stand-in, with a settable clock."""

    services: Services
    ce: CostExplorerStandin
    items: list[LineItem]
    clock: Clock

    @property
    def freshness(self) -> Freshness:
        cost = self.services.config.cost
        return Freshness(cost.settle_days, timedelta(hours=cost.ttl_hours))


def aws_env(monkeypatch: pytest.MonkeyPatch, ce_url: str) -> None:
    """Fake credentials and the stand-in's endpoint for boto3."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", ce_url)


def make_stack(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    items: list[LineItem] | None = None,
    today: date = TODAY,
    page_size: int = 500,
) -> Iterator[CostStack]:
    """Start the stand-in and build services on `database_url` (a generator for fixtures)."""
    items = small_items(today) if items is None else items
    clock = Clock(datetime(today.year, today.month, today.day, 9, 0, tzinfo=UTC))
    ce = CostExplorerStandin(items, today=lambda: clock().date(), page_size=page_size)
    aws_env(monkeypatch, ce.start())
    config = tmp_path / "finops.yml"
    config.write_text(COST_CONFIG)
    services = build_services(Settings.from_env(make_env(config, database_url)))
    services.now = clock
    try:
        yield CostStack(services=services, ce=ce, items=items, clock=clock)
    finally:
        ce.stop()
        services.db.dispose()


StackFactory = Callable[..., CostStack]


@pytest.fixture
def stack_factory(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StackFactory]:
    """Build a CostStack with other line items, page size or today (stopped at teardown)."""
    running: list[Iterator[CostStack]] = []

    def build(**kwargs: Any) -> CostStack:
        generator = make_stack(tmp_path, sqlite_url, monkeypatch, **kwargs)
        running.append(generator)
        return next(generator)

    yield build
    for generator in running:
        for _ in generator:
            pass


@pytest.fixture
def cost_stack(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CostStack]:
    """The small estate on SQLite, today = 2025-03-15."""
    yield from make_stack(tmp_path, sqlite_url, monkeypatch)
