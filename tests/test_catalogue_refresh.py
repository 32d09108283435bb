"""Refreshing the instance catalogue (instances.json) from the AWS Pricing API."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from bot.advice.catalogue import CATALOGUE_PATH, InstanceCatalogue
from bot.advice.catalogue_refresh import PricingUnavailable, prepare, refresh

TODAY = date(2026, 11, 27)
TYPES = ("m5.large", "m5.xlarge", "t3.micro")


def _catalogue(tmp_path: Path, regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> Path:
    """A small copy of the shipped catalogue (a few types and regions) in tmp_path."""
    document = json.loads(CATALOGUE_PATH.read_text())
    document["types"] = {name: document["types"][name] for name in TYPES}
    document["regions"] = {
        region: {
            "instance_hour": {n: document["regions"][region]["instance_hour"][n] for n in TYPES},
            "fargate": document["regions"][region]["fargate"],
        }
        for region in regions
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def _product(usd: str, unit: str = "Hrs", **attributes: str) -> str:
    return json.dumps(
        {
            "product": {"attributes": attributes},
            "terms": {
                "OnDemand": {
                    "t": {"priceDimensions": {"d": {"unit": unit, "pricePerUnit": {"USD": usd}}}}
                }
            },
        }
    )


def _pricing() -> Any:
    return boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _instance_filters(name: str, region: str) -> list[dict[str, str]]:
    fields = {
        "instanceType": name,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


def test_refresh_changes_only_what_the_api_answers(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    before, old_text = InstanceCatalogue.load(path), path.read_text()
    pricing = _pricing()
    with Stubber(pricing) as stub:
        # us-east-1: Fargate over two pages, one figure new, the ARM and storage ones ignored
        stub.add_response(
            "get_products",
            {
                "NextToken": "p2",
                "PriceList": [
                    _product("0.01", "hours", usagetype="USE1-Fargate-ARM-vCPU-Hours:perCPU"),
                    _product(
                        "0.0001", "GB-Hours", usagetype="USE1-Fargate-EphemeralStorage-GB-Hours"
                    ),
                    _product("0.03999", "hours", usagetype="USE1-Fargate-vCPU-Hours:perCPU"),
                ],
            },
            {
                "ServiceCode": "AmazonECS",
                "MaxResults": 100,
                "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}],
            },
        )
        stub.add_response(
            "get_products",
            {"PriceList": [_product("0.0044450000", "hours", usagetype="USE1-Fargate-GB-Hours")]},
            {
                "ServiceCode": "AmazonECS",
                "MaxResults": 100,
                "NextToken": "p2",
                "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}],
            },
        )
        # m5.large gets a new price and says it has 2 vCPUs / 8 GiB (as before)
        stub.add_response(
            "get_products",
            {
                "PriceList": [
                    _product("0.1010000000", vcpu="2", memory="8 GiB", instanceType="m5.large")
                ]
            },
            {
                "ServiceCode": "AmazonEC2",
                "MaxResults": 100,
                "Filters": _instance_filters("m5.large", "us-east-1"),
            },
        )
        # the same price with other decimals is no change; a zero price is no answer
        stub.add_response("get_products", {"PriceList": [_product("0.1920000000")]})
        stub.add_response("get_products", {"PriceList": [_product("0.0000000000")]})
        for _ in range(4):  # eu-west-1: nothing answered
            stub.add_response("get_products", {"PriceList": []})
        update = prepare(pricing, path=path, today=TODAY, workers=1)
        stub.assert_no_pending_responses()
    assert update.changed == [
        "us-east-1 fargate.vcpu_hour: 0.04048 -> 0.03999",
        "us-east-1 instance_hour.m5.large: 0.096 -> 0.101",
    ]
    assert InstanceCatalogue.load(path).as_of == before.as_of  # not written yet
    update.save()
    after = InstanceCatalogue.load(path)
    assert after.as_of == "2026-11-27" and "Pricing API" in after.source
    assert after.hourly("us-east-1", "m5.large").amount == Decimal("0.101")  # type: ignore[union-attr]
    assert after.monthly("us-east-1", "m5.large").amount == Decimal("73.73")  # type: ignore[union-attr]
    assert after.fargate_monthly("us-east-1", vcpu=Decimal(1), memory_gib=Decimal(2)).amount == (
        Decimal("35.68")
    )  # (0.03999 + 2 * 0.004445) * 730
    document = json.loads(path.read_text())
    assert document["regions"]["us-east-1"]["fargate"]["gb_hour"] == "0.004445"
    assert document["regions"]["us-east-1"]["instance_hour"]["m5.xlarge"] == "0.192"
    for name in TYPES:  # everything else is as it was
        assert after.hourly("eu-west-1", name) == before.hourly("eu-west-1", name)
        assert after.instance_type(name) == before.instance_type(name)
    assert after.hourly("us-east-1", "t3.micro") == before.hourly("us-east-1", "t3.micro")
    # same layout: only the changed lines differ
    old_lines = old_text.splitlines()
    new_lines = path.read_text().splitlines()
    assert len(old_lines) == len(new_lines)
    assert sum(a != b for a, b in zip(old_lines, new_lines, strict=True)) == 4


def test_unparseable_or_empty_answers_leave_the_file_alone(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, regions=("us-east-1",))
    text = path.read_text()
    pricing = _pricing()
    with Stubber(pricing) as stub:
        stub.add_response(
            "get_products",
            {
                "PriceList": [
                    "{not json",
                    json.dumps(["a list"]),
                    _product("abc", "hours", usagetype="USE1-Fargate-vCPU-Hours:perCPU"),
                    json.dumps({"product": "x", "terms": {"OnDemand": []}}),
                ]
            },
        )
        stub.add_response("get_products", {"PriceList": [_product("0.2", "GB-Mo")]})  # wrong unit
        stub.add_response("get_products", {"PriceList": [json.dumps({"terms": None})]})
        stub.add_response("get_products", {})
        changed = refresh(pricing, path=path, today=TODAY, workers=1)
    assert changed == []
    assert path.read_text() == text


def test_vcpu_and_memory_come_from_the_product_attributes(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, regions=("us-east-1",))
    pricing = _pricing()
    with Stubber(pricing) as stub:
        stub.add_response("get_products", {"PriceList": []})
        stub.add_response(
            "get_products", {"PriceList": [_product("0.096", vcpu="4", memory="1,024 GiB")]}
        )
        stub.add_response(
            "get_products", {"PriceList": [_product("0.192", vcpu="n/a", memory="lots")]}
        )  # kept as they were
        stub.add_response("get_products", {"PriceList": []})
        changed = refresh(pricing, path=path, today=TODAY, workers=1)
    assert changed == ["m5.large vcpu: 2 -> 4", "m5.large memory_gib: 8 -> 1024"]
    catalogue = InstanceCatalogue.load(path)
    assert catalogue.instance_type("m5.large").vcpu == 4  # type: ignore[union-attr]
    assert catalogue.instance_type("m5.xlarge").memory_gib == Decimal(16)  # type: ignore[union-attr]


class _FakePricing:
    """Answers by filters, from any thread, and records which threads asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        fields = {f["Field"]: f["Value"] for f in kwargs["Filters"]}
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
        if kwargs["ServiceCode"] == "AmazonECS":
            return {"PriceList": [_product("0.05", "hours", usagetype="Fargate-GB-Hours")]}
        price = "1.5" if fields["regionCode"] == "eu-central-1" else "0"
        return {"PriceList": [_product(price)]}


def test_whole_catalogue_on_a_thread_pool(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text(CATALOGUE_PATH.read_text())
    fake = _FakePricing()
    changed = refresh(fake, path=path, today=TODAY, workers=8)
    document = json.loads(CATALOGUE_PATH.read_text())
    types, regions = len(document["types"]), len(document["regions"])
    assert fake.calls == regions * (types + 1)
    assert len(fake.threads) > 1
    catalogue = InstanceCatalogue.load(path)
    assert catalogue.hourly("eu-central-1", "r6i.large").amount == Decimal("1.5")  # type: ignore[union-attr]
    assert all(
        catalogue.hourly("us-west-2", n) == InstanceCatalogue.load().hourly("us-west-2", n)
        for n in document["types"]
    )
    assert len(changed) == types + regions  # every eu-central-1 price and every gb_hour
    assert json.loads(path.read_text())["regions"]["ap-southeast-1"]["fargate"]["gb_hour"] == "0.05"


def test_unreachable_api_raises_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    text = path.read_text()
    pricing = boto3.client(
        "pricing",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(PricingUnavailable, match=r"could not be used.*instances\.json was left"):
        refresh(pricing, path=path, today=TODAY)
    assert path.read_text() == text


def test_a_failure_part_way_writes_nothing(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    text = path.read_text()
    pricing = _pricing()
    with Stubber(pricing) as stub:
        stub.add_response("get_products", {"PriceList": [_product("9.99")]})
        stub.add_response("get_products", {"PriceList": [_product("9.99")]})
        stub.add_client_error("get_products", "ThrottlingException", "Rate exceeded")
        with pytest.raises(PricingUnavailable, match="Rate exceeded"):
            refresh(pricing, path=path, today=TODAY, workers=1)
    assert path.read_text() == text


def test_every_price_confirmed_moves_the_as_of_date(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, regions=("us-east-1",))
    before = InstanceCatalogue.load(path)
    document = json.loads(path.read_text())
    table = document["regions"]["us-east-1"]
    pricing = _pricing()
    with Stubber(pricing) as stub:
        stub.add_response(
            "get_products",
            {
                "PriceList": [
                    _product(
                        table["fargate"]["vcpu_hour"],
                        "hours",
                        usagetype="USE1-Fargate-vCPU-Hours:perCPU",
                    ),
                    _product(
                        table["fargate"]["gb_hour"], "hours", usagetype="USE1-Fargate-GB-Hours"
                    ),
                ]
            },
        )
        for name in table["instance_hour"]:
            stub.add_response(
                "get_products", {"PriceList": [_product(table["instance_hour"][name])]}
            )
        changed = refresh(pricing, path=path, today=TODAY, workers=1)
    after = InstanceCatalogue.load(path)
    assert changed == []
    assert after.as_of == TODAY.isoformat() != before.as_of and "Pricing API" in after.source
    assert all(
        after.hourly("us-east-1", n) == before.hourly("us-east-1", n)
        for n in table["instance_hour"]
    )
