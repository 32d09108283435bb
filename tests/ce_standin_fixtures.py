"""Shared parts of the Cost Explorer stand-in tests: line items, the stand-in served over
HTTP (module-scoped) and a real boto3 `ce` client on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config

from standins.cost_explorer import CostExplorerStandin, LineItem

TODAY = date(2025, 3, 15)
PROD, DEV = "111111111111", "222222222222"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def make_items() -> list[LineItem]:
    """Jan 1 .. Mar 14 2025: 2 accounts x 2 services x 3 tag states, odd 10-place amounts."""
    items = []
    day = date(2025, 1, 1)
    n = 0
    while day < TODAY:
        for account in (PROD, DEV):
            for service, usage_type in ((EC2, "USE1-BoxUsage:m5.large"), (S3, "USE1-Requests")):
                for tags in ({"Team": "payments"}, {"Team": "search", "Env": "prod"}, {}):
                    n += 1
                    amount = Decimal(n % 97) + Decimal("0.0123456789") * (n % 7)
                    items.append(
                        LineItem(
                            usage_date=day,
                            account_id=account,
                            region="us-east-1",
                            service=service,
                            usage_type=usage_type,
                            amount=amount,
                            tags=tags,
                            usage_quantity=Decimal(n % 5),
                        )
                    )
        day += timedelta(days=1)
    return items


ITEMS = make_items()


def expected(
    start: date, end: date, where: Callable[[LineItem], bool] = lambda item: True
) -> Decimal:
    """The exact sum of the fixture's amounts in [start, end) that satisfy `where`."""
    return sum((i.amount for i in ITEMS if start <= i.usage_date < end and where(i)), Decimal(0))


def client(url: str, config: Config | None = None) -> Any:
    return boto3.client(
        "ce",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture(scope="module")
def standin() -> Iterator[CostExplorerStandin]:
    server = CostExplorerStandin(ITEMS, today=TODAY, account_names={PROD: "prod", DEV: "dev"})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ce(standin: CostExplorerStandin) -> Any:
    standin.reset_counters()
    assert standin.url
    return client(standin.url)


def period(start: str, end: str) -> dict[str, str]:
    return {"Start": start, "End": end}


def amount(metrics: dict[str, Any], name: str = "UnblendedCost") -> Decimal:
    return Decimal(metrics[name]["Amount"])


def all_pages(ce: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a GetCostAndUsage call (botocore has no paginator for it)."""
    pages = [ce.get_cost_and_usage(**params)]
    while "NextPageToken" in pages[-1]:
        pages.append(ce.get_cost_and_usage(NextPageToken=pages[-1]["NextPageToken"], **params))
    return pages


# -- GetCostAndUsage -------------------------------------------------------------------
