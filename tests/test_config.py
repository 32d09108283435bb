"""finops.yml and environment validation: one clear line, never a traceback."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, Settings, load_config, normalize_database_url, redact_url
from tests.conftest import TEST_CONFIG


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "finops.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def mutated(change: str) -> dict:
    data = yaml.safe_load(TEST_CONFIG)
    finops = data["finops"]
    if change == "missing channel":
        del finops["teams"]["payments"]["channel"]
    elif change == "typo key":
        finops["teams"]["payments"]["chanel"] = "C0PAY"
    elif change == "typo required key":
        finops["teams"]["payments"]["chanel"] = finops["teams"]["payments"].pop("channel")
    elif change == "region typo":
        finops["regions"] = ["us-east-1", "eu-wset-1"]
    elif change == "regions not list":
        finops["regions"] = "us-east-1"
    elif change == "bad region":
        finops["regions"] = ["us-east-1", "mars-1"]
    elif change == "budget text":
        finops["teams"]["payments"]["monthly_budget"] = "lots"
    elif change == "account id":
        finops["accounts"] = [{"id": 1234}]
    elif change == "approver":
        finops["teams"]["search"]["approvers"] = ["lee"]
    elif change == "no default channel":
        del finops["default_channel"]
    return data


def test_valid_config_loads_with_exact_budget(config_file: Path) -> None:
    config = load_config(config_file)
    assert config.team_names() == ["payments", "search"]
    assert config.teams["payments"].monthly_budget == Decimal("1000")
    assert config.teams["search"].monthly_budget is None
    assert config.tags.team == "Team"
    assert config.digest is not None and config.digest.channel == "C0MGMT"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("missing channel", "finops.yml: teams.payments.channel is missing"),
        (
            "typo key",
            "finops.yml: teams.payments.chanel is not a known key (did you mean channel?)",
        ),
        (
            "typo required key",
            "finops.yml: teams.payments.channel is missing (found chanel: did you mean channel?)",
        ),
        (
            "region typo",
            'finops.yml: regions: "eu-wset-1" is not a region AWS knows (did you mean eu-west-1?)',
        ),
        ("regions not list", "finops.yml: regions must be a list (got 'us-east-1')"),
        ("bad region", 'finops.yml: regions: "mars-1" is not an AWS region name (like us-east-1)'),
        ("budget text", "finops.yml: teams.payments.monthly_budget must be a number (got 'lots')"),
        ("account id", "finops.yml: accounts[0].id: must be a 12-digit AWS account id, in quotes"),
        ("approver", 'finops.yml: teams.search.approvers: "lee" is not a Slack user id'),
        ("no default channel", "finops.yml: default_channel is missing"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, change: str, expected: str) -> None:
    path = write(tmp_path, mutated(change))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value).replace(str(tmp_path) + "/", "")
    assert message.startswith(expected)
    assert "\n" not in message


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"file not found .*FINOPS_CONFIG"):
        load_config(tmp_path / "nope.yml")
    path = write(tmp_path, "finops:\n  regions: [us-east-1\n")
    with pytest.raises(ConfigError, match=r"finops.yml: line \d+"):
        load_config(path)
    path = write(tmp_path, "- just a list\n")
    with pytest.raises(ConfigError, match="top-level `finops:`"):
        load_config(path)


def test_secrets_never_in_repr_or_str() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "sign-secret-123"}
    )
    for text in (repr(settings), str(settings)):
        assert "xoxb-very-secret" not in text
        assert "sign-secret-123" not in text
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"


def test_settings_defaults_and_postgres_urls() -> None:
    settings = Settings.from_env({})
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.config_path == "finops.yml"
    assert settings.database_url.startswith("sqlite:///")
    assert Settings.from_env({"SLACK_API_URL": "http://x/api"}).slack_api_url == "http://x/api/"
    assert normalize_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert redact_url("postgresql+psycopg://u:hunter2@h/db") == "postgresql+psycopg://u:***@h/db"


def test_bad_port_and_missing_slack_secrets() -> None:
    with pytest.raises(ConfigError, match="PORT must be a TCP port number"):
        Settings.from_env({"PORT": "http"})
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set"):
        Settings.from_env({}).require_slack()
    Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack(socket_mode=True)
