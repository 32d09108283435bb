"""`/cost` options: every bad input gets a message with the valid choices and a suggestion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.args import ArgumentError
from bot.config import FinopsConfig, load_config
from bot.cost.query import CostQuery, parse_query, resolve_service
from tests.cost_fixtures import COST_CONFIG, EC2, S3

TODAY = date(2025, 3, 15)


@pytest.fixture
def config(tmp_path: Path) -> FinopsConfig:
    path = tmp_path / "finops.yml"
    path.write_text(COST_CONFIG)
    return load_config(path)


def parse(text: str, config: FinopsConfig) -> CostQuery:
    return parse_query(text, config, TODAY, command="/cost").query


def test_defaults_and_full_question(config: FinopsConfig) -> None:
    assert parse("", config) == CostQuery(by="team")  # everything, grouped by team
    assert parse("team=search", config) == CostQuery(team="search", by="service")
    query = parse(
        "team=Payments period=30d by=Region service=s3 account=prod region=us-east-1", config
    )
    assert query == CostQuery(
        team="payments",
        period="30d",
        by="region",
        service="s3",
        account="111111111111",
        region="us-east-1",
    )
    assert parse("by=tag:Project", config).by == "tag:Project"
    assert parse("by=usage_type", config).by == "usage-type"
    assert parse_query("help", config, TODAY, command="/cost").wants_help


def test_query_round_trips_through_the_share_button_value(config: FinopsConfig) -> None:
    query = parse("team=search period=last-month by=account", config)
    assert CostQuery.from_json(query.to_json()) == query
    assert query.command_text() == "team=search period=last-month by=account"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "team=paymnts",
            'Unknown team "paymnts" — did you mean payments? Teams: `payments`, `search`.',
        ),
        ("team=nobody", 'Unknown team "nobody". Teams: `payments`, `search`.'),
        ("teem=payments", 'Unknown option "teem" — did you mean team?'),
        (
            "by=servce",
            'Unknown grouping "by=servce" — did you mean service? Group by: `service`, '
            "`team`, `account`, `region`, `usage-type`, `provider`, `tag:KEY`.",
        ),
        ("by=tag:", "`by=tag:KEY` needs a tag key"),
        ("period=lastmonth", 'Unknown period "lastmonth" — did you mean last-month?'),
        ("period=2031-01", '"2031-01" is in the future'),
        ("account=12345", '"12345" is not an AWS account id (12 digits)'),
        ("account=prd", '"prd" is not an AWS account id (12 digits) — did you mean prod?'),
        ("account=333333333333", "Account 333333333333 is not one of the configured accounts"),
        ("region=us-est-1", '"us-est-1" is not an AWS region — did you mean us-east-1?'),
        ("payments", 'Unknown argument "payments"'),
        ("team=", 'Option "team" needs a value'),
        ("team=payments team=search", 'Option "team" is given twice.'),
    ],
)
def test_bad_input_messages(text: str, message: str, config: FinopsConfig) -> None:
    with pytest.raises(ArgumentError) as info:
        parse(text, config)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value)


def test_services_resolve_from_aliases_names_and_parts() -> None:
    known = [EC2, S3, "AWS Lambda"]
    assert resolve_service("ec2", known) == EC2
    assert resolve_service("amazon simple storage service", known) == S3
    assert resolve_service("lambda", known) == "AWS Lambda"
    assert resolve_service("Storage", known) == S3
    with pytest.raises(ArgumentError, match=r'Unknown service "ec3" — did you mean ec2\?'):
        resolve_service("ec3", known)
    with pytest.raises(ArgumentError, match='Service "Amazon" matches several services'):
        resolve_service("Amazon", known)


def test_cost_config_defaults_and_mistakes(tmp_path: Path, config: FinopsConfig) -> None:
    from bot.config import ConfigError, CostConfig

    assert config.cost.top_lines == 3 and config.cost.breaker.failure_threshold == 2
    defaults = CostConfig()
    assert (defaults.settle_days, defaults.ttl_hours) == (3, 6)
    assert defaults.breaker.recovery_seconds == 60
    path = tmp_path / "bad.yml"
    path.write_text(COST_CONFIG.replace("ttl_hours: 6", "ttl_hour: 6"))
    with pytest.raises(ConfigError, match=r"cost.ttl_hour is not a known key \(did you mean"):
        load_config(path)
