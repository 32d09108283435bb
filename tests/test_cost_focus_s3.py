"""FOCUS exports under an s3:// prefix, read by DuckDB's httpfs (from the PyPI package)
through the bot's own AWS access: AWS_ENDPOINT_URL points it at a moto server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bot.config import ConfigError
from bot.cost.query import CostQuery
from bot.cost.service import answer_cost
from bot.cost.sources import check_source
from tests import focus_fixtures
from tests.focus_fixtures import SAMPLE, SAMPLE_CSV, expected_sums, sample_rows

make_focus_services = focus_fixtures.make_focus_services


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_s3(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_server


def test_export_under_an_s3_prefix(make_focus_services, moto_s3):
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_s3)
    s3.create_bucket(Bucket="billing")
    body = (SAMPLE / SAMPLE_CSV).read_bytes()
    s3.put_object(Bucket="billing", Key="focus/2024-09/part-1.csv", Body=body)
    s3.put_object(Bucket="billing", Key="focus/README.txt", Body=b"not an export file")
    services = make_focus_services("s3://billing/focus/")
    assert "billing export (DuckDB)" in check_source(services)
    report = answer_cost(services, CostQuery(period="2024-09", by="provider"))
    expected = expected_sums(sample_rows(), lambda r: r["ProviderName"])
    assert {line.label: line.amount for line in report.lines} == expected
    assert report.total == sum(expected.values(), Decimal(0))


def test_empty_or_missing_bucket_is_one_line(make_focus_services, moto_s3):
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_s3)
    s3.create_bucket(Bucket="empty")
    with pytest.raises(ConfigError, match="holds no files"):
        check_source(make_focus_services("s3://empty/focus/"))
    with pytest.raises(ConfigError, match="NoSuchBucket") as caught:
        check_source(make_focus_services("s3://nosuch/focus/"))
    assert "\n" not in str(caught.value)
