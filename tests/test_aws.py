"""AWS access goes through one place, honours endpoint variables and assumes roles."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bot.aws import AwsClients, describe_aws_error
from bot.config import AccountConfig, FinopsConfig


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def config(**extra: object) -> FinopsConfig:
    return FinopsConfig.model_validate(
        {"regions": ["us-east-1", "eu-west-1"], "default_channel": "C0FINOPS", **extra}
    )


def test_clients_are_per_region_and_cached(aws_env: None) -> None:
    aws = AwsClients(config())
    east = aws.client("ec2", region="us-east-1")
    west = aws.client("ec2", region="eu-west-1")
    assert east is aws.client("ec2", region="us-east-1")
    assert east.meta.region_name == "us-east-1" and west.meta.region_name == "eu-west-1"
    assert east.meta.config.retries["mode"] == "standard"
    boto3.client("ec2", region_name="eu-west-1").create_volume(
        AvailabilityZone="eu-west-1a", Size=5
    )
    assert len(west.describe_volumes()["Volumes"]) == 1
    assert east.describe_volumes()["Volumes"] == []


def test_targets_cover_accounts_and_regions(aws_env: None) -> None:
    aws = AwsClients(config(accounts=[{"id": "111111111111"}, {"id": "222222222222"}]))
    assert [(t.account, t.region) for t in aws.targets()] == [
        ("111111111111", "us-east-1"),
        ("111111111111", "eu-west-1"),
        ("222222222222", "us-east-1"),
        ("222222222222", "eu-west-1"),
    ]
    assert [t.account for t in AwsClients(config()).targets()] == ["current", "current"]


def test_assume_role_reaches_the_other_account(aws_env: None) -> None:
    role = "arn:aws:iam::222222222222:role/finops-bot"
    aws = AwsClients(config(accounts=[AccountConfig(id="222222222222", role_arn=role)]))
    sts = aws.client("sts", account="222222222222")
    assert sts.get_caller_identity()["Account"] == "222222222222"
    assert aws.client("sts").get_caller_identity()["Account"] != "222222222222"


def test_endpoint_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", "http://127.0.0.1:9/ce")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = AwsClients(config())
    assert aws.client("ce", region="us-east-1").meta.endpoint_url == "http://127.0.0.1:9/ce"


def test_aws_errors_are_described_in_one_line(aws_env: None) -> None:
    ec2 = AwsClients(config()).client("ec2")
    with pytest.raises(Exception) as caught:
        ec2.delete_volume(VolumeId="vol-00000000000000000")
    text = describe_aws_error(caught.value)
    assert text.startswith("AWS InvalidVolume.NotFound on DeleteVolume")
    assert "\n" not in text
