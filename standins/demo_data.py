"""Reproducible demo cost line items: a small two-account estate with one obvious anomaly.

Two accounts (prod "111111111111", dev "222222222222"), us-east-1 and eu-west-1 (plus
"global" for Support and Tax), three teams (Team tag payments/search/data) and some
untagged spend. Weekdays cost more than weekends, spend grows about 10 % a month, Support
and Tax land on the 1st of each month, and `DEMO_ANOMALY` describes the one spike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from standins.cost_explorer import LineItem

PROD_ACCOUNT = "111111111111"
DEV_ACCOUNT = "222222222222"
ACCOUNTS: dict[str, str] = {PROD_ACCOUNT: "prod", DEV_ACCOUNT: "dev"}
REGIONS = ("us-east-1", "eu-west-1")
TEAMS = ("payments", "search", "data")

EC2_COMPUTE = "Amazon Elastic Compute Cloud - Compute"
EC2_OTHER = "EC2 - Other"
S3 = "Amazon Simple Storage Service"
RDS = "Amazon Relational Database Service"
DATA_TRANSFER = "AWS Data Transfer"
CLOUDWATCH = "AmazonCloudWatch"
SUPPORT = "AWS Support (Business)"
TAX = "Tax"

_PLACES = Decimal("0.0000000001")
_REGION_PREFIX = {"us-east-1": "USE1", "eu-west-1": "EUW1"}
_ACCOUNT_SCALE = {PROD_ACCOUNT: 1.0, DEV_ACCOUNT: 0.3}
_REGION_SCALE = {"us-east-1": 1.0, "eu-west-1": 0.6}
#: Monthly growth of usage, and the day (relative to today) where the growth factor is 1.
_MONTHLY_GROWTH = 0.10
_GROWTH_ANCHOR_DAYS = 60
_TAX_RATE = 0.05

_OWNERS = {"payments": "U0PAYDEV", "search": "dana@example.com", "data": "U0DATAENG"}
_PROJECTS = {"payments": "checkout", "search": "search-api", "data": "lakehouse"}


@dataclass(frozen=True)
class _Charge:
    """One daily usage line per (account, region, team): service, usage type, base $/day."""

    service: str
    usage_type: str  # without the region prefix
    daily: float  # prod, us-east-1, weekday, growth factor 1
    unit_price: float  # $ per unit of usage_quantity
    weekend: float = 1.0  # weekend multiplier (compute scales down)
    owner_tag: bool = True  # whether Owner/Project tags are on it


_CHARGES: dict[str | None, tuple[_Charge, ...]] = {
    "payments": (
        _Charge(EC2_COMPUTE, "BoxUsage:m5.xlarge", 58.0, 0.192, weekend=0.7),
        _Charge(EC2_OTHER, "EBS:VolumeUsage.gp3", 10.0, 0.08 / 30),
        _Charge(S3, "TimedStorage-ByteHrs", 6.5, 0.023 / 30),
        _Charge(S3, "Requests-Tier1", 2.4, 0.000005, weekend=0.8),
        _Charge(RDS, "InstanceUsage:db.r6g.large", 36.0, 0.24),
        _Charge(DATA_TRANSFER, "DataTransfer-Out-Bytes", 8.0, 0.09, weekend=0.8),
        _Charge(CLOUDWATCH, "CW:MetricMonitorUsage", 2.4, 0.3 / 30, owner_tag=False),
    ),
    "search": (
        _Charge(EC2_COMPUTE, "BoxUsage:c5.xlarge", 44.0, 0.17, weekend=0.75),
        _Charge(EC2_OTHER, "EBS:VolumeUsage.gp3", 8.0, 0.08 / 30),
        _Charge(S3, "TimedStorage-ByteHrs", 3.2, 0.023 / 30),
        _Charge(S3, "Requests-Tier1", 1.6, 0.000005, weekend=0.8),
        _Charge(DATA_TRANSFER, "DataTransfer-Out-Bytes", 6.4, 0.09, weekend=0.8),
        _Charge(CLOUDWATCH, "CW:MetricMonitorUsage", 1.6, 0.3 / 30, owner_tag=False),
    ),
    "data": (
        _Charge(EC2_COMPUTE, "BoxUsage:r5.xlarge", 32.0, 0.252, weekend=0.85),
        _Charge(EC2_OTHER, "EBS:VolumeUsage.gp3", 12.0, 0.08 / 30),
        _Charge(S3, "TimedStorage-ByteHrs", 20.0, 0.023 / 30),
        _Charge(S3, "Requests-Tier1", 4.0, 0.000005),
        _Charge(RDS, "InstanceUsage:db.r6g.large", 16.0, 0.24),
        _Charge(DATA_TRANSFER, "DataTransfer-Out-Bytes", 4.8, 0.09),
        _Charge(CLOUDWATCH, "CW:MetricMonitorUsage", 1.6, 0.3 / 30, owner_tag=False),
    ),
    None: (  # untagged
        _Charge(EC2_COMPUTE, "BoxUsage:t3.medium", 13.0, 0.0416),
        _Charge(EC2_OTHER, "EBS:VolumeUsage.gp2", 5.0, 0.10 / 30),
        _Charge(S3, "TimedStorage-ByteHrs", 3.2, 0.023 / 30),
        _Charge(DATA_TRANSFER, "DataTransfer-Out-Bytes", 1.6, 0.09),
        _Charge(CLOUDWATCH, "CW:MetricMonitorUsage", 0.8, 0.3 / 30),
    ),
}


@dataclass(frozen=True)
class DemoAnomaly:
    """The demo's one cost spike; its dates are relative to `today`."""

    team: str
    service: str
    region: str
    account_id: str
    usage_type: str
    factor: float
    first_day_offset: int  # days before today
    last_day_offset: int  # days before today

    def start(self, today: date) -> date:
        """The first day of the spike."""
        return today - timedelta(days=self.first_day_offset)

    def end(self, today: date) -> date:
        """The last day of the spike (inclusive)."""
        return today - timedelta(days=self.last_day_offset)

    def days(self, today: date) -> list[date]:
        """Every day of the spike."""
        first = self.start(today)
        return [first + timedelta(days=n) for n in range((self.end(today) - first).days + 1)]


#: Team `search`, EC2 compute in eu-west-1 (prod): about 3x normal for the 3 days that end
#: 6 days before today, on c5.xlarge, the type of search's "moderate" (api) instances in the
#: demo estate (standins/demo_estate.py), so `/rightsize team=search` shows where to look.
DEMO_ANOMALY = DemoAnomaly(
    team="search",
    service=EC2_COMPUTE,
    region="eu-west-1",
    account_id=PROD_ACCOUNT,
    usage_type="EUW1-BoxUsage:c5.xlarge",
    factor=3.0,
    first_day_offset=8,
    last_day_offset=6,
)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.10f}").quantize(_PLACES)


def _tags(team: str | None, account_id: str, charge: _Charge) -> dict[str, str]:
    if team is None:
        return {}
    tags = {"Team": team, "Environment": ACCOUNTS[account_id]}
    if charge.owner_tag:
        tags["Owner"] = _OWNERS[team]
        tags["Project"] = _PROJECTS[team]
    return tags


def _growth(day: date, today: date) -> float:
    months = ((day - today).days + _GROWTH_ANCHOR_DAYS) / 30.0
    return float((1 + _MONTHLY_GROWTH) ** months)


def demo_line_items(*, today: date, days: int = 120, seed: int = 7) -> list[LineItem]:
    """Daily line items for the `days` days before `today` (today has no data yet).

    Reproducible for a given (today, days, seed); amounts are Decimals with 10 places.
    """
    rng = random.Random(seed)
    first = today - timedelta(days=days)
    anomaly_days = set(DEMO_ANOMALY.days(today))
    items: list[LineItem] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        weekend = day.weekday() >= 5
        growth = _growth(day, today)
        if day.day == 1:
            items.extend(_month_start_charges(day, today))
        for account_id, account_scale in _ACCOUNT_SCALE.items():
            for region, region_scale in _REGION_SCALE.items():
                prefix = _REGION_PREFIX[region]
                for team, charges in _CHARGES.items():
                    for charge in charges:
                        usage_type = f"{prefix}-{charge.usage_type}"
                        cost = charge.daily * account_scale * region_scale * growth
                        cost *= rng.uniform(0.93, 1.07)
                        if (
                            day in anomaly_days
                            and team == DEMO_ANOMALY.team
                            and region == DEMO_ANOMALY.region
                            and account_id == DEMO_ANOMALY.account_id
                            and usage_type == DEMO_ANOMALY.usage_type
                        ):
                            cost *= DEMO_ANOMALY.factor  # 3x a weekday, even on a weekend
                        elif weekend:
                            cost *= charge.weekend
                        amount = _money(cost)
                        items.append(
                            LineItem(
                                usage_date=day,
                                account_id=account_id,
                                region=region,
                                service=charge.service,
                                usage_type=usage_type,
                                amount=amount,
                                tags=_tags(team, account_id, charge),
                                usage_quantity=_money(cost / charge.unit_price),
                            )
                        )
    return items


def _expected_monthly_usage(month_start: date, today: date) -> float:
    """What a month's usage should roughly cost (Support and Tax are billed from it)."""
    daily = sum(
        charge.daily * _ACCOUNT_SCALE[a] * _REGION_SCALE[r] * (5 + 2 * charge.weekend) / 7
        for charges in _CHARGES.values()
        for charge in charges
        for a in _ACCOUNT_SCALE
        for r in _REGION_SCALE
    )
    previous = month_start - timedelta(days=15)
    return daily * 30 * _growth(previous, today)


def _month_start_charges(day: date, today: date) -> list[LineItem]:
    """Business Support (tiered, billed on the 1st) and Tax for the payer account."""
    usage = _expected_monthly_usage(day, today)
    support = max(100.0, 0.10 * min(usage, 10_000) + 0.07 * max(usage - 10_000, 0))
    tax = _TAX_RATE * (usage + support)
    return [
        LineItem(
            usage_date=day,
            account_id=PROD_ACCOUNT,
            region="global",
            service=SUPPORT,
            usage_type="Dollar",
            amount=_money(support),
            record_type="Support",
            usage_quantity=_money(support),
        ),
        LineItem(
            usage_date=day,
            account_id=PROD_ACCOUNT,
            region="global",
            service=TAX,
            usage_type="Tax",
            amount=_money(tax),
            record_type="Tax",
        ),
    ]
