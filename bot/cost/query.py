"""What a `/cost` question asks: parsing and checking its options (no AWS needed)."""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import boto3

from bot.args import ArgumentError, parse_args, suggest
from bot.config import FinopsConfig

from .periods import Period, parse_period

KEYS = ("team", "period", "by", "service", "account", "region")
BY_CHOICES = ("service", "team", "account", "region", "usage-type", "provider", "tag:KEY")

#: Short names people type for the services Cost Explorer names at length.
SERVICE_ALIASES = {
    "ec2": "Amazon Elastic Compute Cloud - Compute",
    "ebs": "EC2 - Other",
    "ec2-other": "EC2 - Other",
    "s3": "Amazon Simple Storage Service",
    "rds": "Amazon Relational Database Service",
    "cloudwatch": "AmazonCloudWatch",
    "lambda": "AWS Lambda",
    "dynamodb": "Amazon DynamoDB",
    "data-transfer": "AWS Data Transfer",
    "support": "AWS Support (Business)",
    "tax": "Tax",
}


@dataclass(frozen=True)
class CostQuery:
    """One question, as typed (`period` stays text: it is read against the day it runs)."""

    team: str | None = None
    period: str = "mtd"
    by: str = "service"
    service: str | None = None
    account: str | None = None
    region: str | None = None

    def to_json(self) -> dict[str, str]:
        """The non-default options (what the "Share" button carries)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CostQuery:
        """The inverse of `to_json` (unknown keys ignored)."""
        return cls(**{k: str(v) for k, v in data.items() if k in KEYS})

    def command_text(self) -> str:
        """The options as `/cost` arguments (for the answer's footer)."""
        parts = [f"{k}={v}" for k, v in self.to_json().items()]
        return " ".join(parts)


@dataclass(frozen=True)
class Parsed:
    """A checked question and its days, or a request for help."""

    query: CostQuery
    period: Period
    wants_help: bool = False


def dimension_of(by: str, team_tag: str) -> str:
    """The grouping a `by=` value stands for: team, service, account, region, usage-type, tag:K."""
    if by.startswith("tag:") and by[4:] == team_tag:
        return "team"
    return by


def parse_query(text: str, config: FinopsConfig, today: date, *, command: str) -> Parsed:
    """Check every option; ArgumentError names what was wrong and the valid choices."""
    args = parse_args(text, keys=KEYS, words=("help",), command=command)
    opts = args.options
    team = _team(opts.get("team"), config)
    query = CostQuery(
        team=team,
        period=opts.get("period", "mtd").lower(),
        # A team's spend is broken down by service; everyone's by team (untagged included).
        by=_by(opts["by"]) if "by" in opts else ("service" if team else "team"),
        service=opts.get("service"),
        account=_account(opts.get("account"), config),
        region=_region(opts.get("region"), config),
    )
    limited = config.cost.source == "cost_explorer"  # exports keep what they were given
    period = parse_period(query.period, today, limited=limited)
    return Parsed(query, period, wants_help="help" in args.words)


def _team(value: str | None, config: FinopsConfig) -> str | None:
    if value is None:
        return None
    name = value.lower()
    if name in config.teams:
        return name
    teams = config.team_names()
    listing = ", ".join(f"`{t}`" for t in teams) or "none are configured"
    raise ArgumentError(f'Unknown team "{value}"{suggest(value, teams) or "."} Teams: {listing}.')


def _by(value: str) -> str:
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith("tag:"):
        if len(text) == 4:
            raise ArgumentError("`by=tag:KEY` needs a tag key, like `by=tag:Project`.")
        return "tag:" + text[4:]  # tag keys are case-sensitive
    if lowered in ("usage_type", "usagetype"):
        lowered = "usage-type"
    if lowered in BY_CHOICES:
        return lowered
    choices = ", ".join(f"`{c}`" for c in BY_CHOICES)
    raise ArgumentError(
        f'Unknown grouping "by={value}"{suggest(lowered, BY_CHOICES) or "."} Group by: {choices}.'
    )


def _account(value: str | None, config: FinopsConfig) -> str | None:
    if value is None:
        return None
    known = {a.id: a for a in config.accounts}
    by_name = {a.name.lower(): a.id for a in config.accounts if a.name}
    if value.lower() in by_name:
        return by_name[value.lower()]
    if config.cost.source != "cost_explorer" and not known:
        return value  # exports name sub-accounts their own way (Azure subscriptions...)
    if not re.fullmatch(r"\d{12}", value):
        names = [*known, *by_name]
        raise ArgumentError(
            f'"{value}" is not an AWS account id (12 digits){suggest(value, names) or "."}'
            + (f" Accounts: {', '.join(f'`{n}`' for n in names)}." if names else "")
        )
    if known and value not in known:
        listing = ", ".join(f"`{a}`" for a in known)
        raise ArgumentError(
            f"Account {value} is not one of the configured accounts{suggest(value, known) or '.'} "
            f"Accounts: {listing}."
        )
    return value


def _region(value: str | None, config: FinopsConfig) -> str | None:
    if value is None:
        return None
    region = value.lower()
    if region == "global" or region in config.regions or region in _aws_regions():
        return region
    hint = suggest(region, [*config.regions, "global"]) or suggest(region, _aws_regions())
    raise ArgumentError(
        f'"{value}" is not an AWS region{hint or "."} '
        f"Configured regions: {', '.join(f'`{r}`' for r in config.regions)} "
        "(and `global` for Support and Tax)."
    )


@functools.cache
def _aws_regions() -> tuple[str, ...]:
    """Every region botocore knows (from its bundled data; no network)."""
    session = boto3.session.Session()
    names = {
        r
        for p in ("aws", "aws-us-gov", "aws-cn")
        for r in session.get_available_regions("ec2", partition_name=p)
    }
    return tuple(sorted(names))


def resolve_service(value: str, known: list[str]) -> str:
    """The Cost Explorer service name `value` means (alias, exact or unique part of a name).

    `known` are the services with spend; ArgumentError suggests the closest.
    """
    lowered = value.lower()
    alias = SERVICE_ALIASES.get(lowered)
    if alias is not None:
        return alias
    for name in known:
        if name.lower() == lowered:
            return name
    partial = [name for name in known if lowered in name.lower()]
    if len(partial) == 1:
        return partial[0]
    candidates = list(SERVICE_ALIASES) + known
    hint = suggest(value, candidates)
    if len(partial) > 1:
        listing = ", ".join(f"`{n}`" for n in partial[:6])
        raise ArgumentError(f'Service "{value}" matches several services: {listing}.')
    listing = ", ".join(f"`{a}`" for a in SERVICE_ALIASES)
    raise ArgumentError(
        f'Unknown service "{value}"{hint or "."} Short names: {listing}, or part of a '
        'Cost Explorer service name (quote it if it has spaces: `service="EC2 - Other"`).'
    )
