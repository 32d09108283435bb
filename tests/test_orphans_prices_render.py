"""The price table, and `/orphans` answers within Slack's limits."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from bot.orphans.model import Finding
from bot.orphans.prices import PriceTable, default_prices, format_money
from bot.orphans.prices_refresh import PricingUnavailable, refresh
from bot.orphans.scanner import ScanFailure, ScanFilter, ScanResult
from bot.render.common import MAX_SECTION_TEXT
from bot.render.orphans import orphans_message

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1")


def test_table_covers_the_regions_and_types_with_its_source() -> None:
    prices = default_prices()
    assert prices.as_of and "aws.amazon.com" in prices.source
    for region in REGIONS:
        for volume_type in ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"):
            estimate = prices.volume(region, volume_type, 100)
            assert estimate.monthly > 0 and not estimate.approximate, (region, volume_type)
        for lb in ("application", "network", "classic"):
            assert prices.load_balancer(region, lb).monthly > 0
        assert prices.snapshot(region, 10).monthly > 0 and prices.public_ipv4(region).monthly > 0


def test_prices_are_decimal_exact() -> None:
    prices = default_prices()
    assert prices.volume("us-east-1", "gp3", 100, iops=4000, throughput=250).monthly == (
        Decimal("8.00") + Decimal("5.00") + Decimal("5.00")
    )
    assert prices.volume("us-east-1", "io2", 10, iops=100).monthly == Decimal("7.75")
    assert prices.load_balancer("eu-west-1", "network").monthly == Decimal("18.40")


def test_unknown_region_falls_back_to_us_east_1_and_says_so() -> None:
    estimate = default_prices().volume("sa-east-1", "gp2", 100)
    assert estimate.monthly == Decimal("10.00") and estimate.approximate


def test_money_format() -> None:
    assert format_money(Decimal("12345.675")) == "$12,345.68"
    assert format_money(Decimal("-3")) == "-$3.00"


def finding(n: int, kind: str = "volume", **extra: Any) -> Finding:
    values: dict[str, Any] = dict(
        resource_id=f"vol-{n:05d}",
        kind=kind,
        resource_type="ebs-volume",
        region="us-east-1",
        account="123456789012",
        name="x" * 400,
        size="100 GiB gp2",
        age_days=3,
        tags={},
        team="payments",
        owner="U0PAYDEV",
        monthly_cost=Decimal(n),
        approximate=False,
        action="snapshot-and-delete-volume",
        reason="not attached " * 300,
    )
    values.update(extra)
    return Finding(**values)


def test_many_findings_stay_within_slack_limits_with_show_more() -> None:
    findings = [finding(n) for n in range(150)] + [finding(n, "address") for n in range(150, 300)]
    result = ScanResult(
        findings=findings,
        targets=2,
        failures=[
            ScanFailure("current", f"r-{n}", "volume", "AccessDenied " * 99) for n in range(30)
        ],
    )
    message = orphans_message(result, scope=ScanFilter(), prices=default_prices())
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT for b in blocks)
    assert "…and 20 more" in json.dumps(blocks, ensure_ascii=False)
    more = blocks[-1]["elements"][0]
    assert more["action_id"] == "orphans_show_more"
    assert json.loads(more["value"])["offset"] == 20
    # next page starts where this one ended; the last page has no button
    last = orphans_message(result, scope=ScanFilter(), prices=default_prices(), offset=280)
    assert "orphans_show_more" not in json.dumps(last["blocks"])
    assert "vol-00000" in json.dumps(last["blocks"])
    buttons = [b["accessory"]["value"] for b in blocks if "accessory" in b]
    assert len(buttons) == 20 and all(len(v) < 2000 for v in buttons)
    assert json.loads(buttons[0])["id"] == "vol-00299"  # most expensive first


def test_empty_and_protected() -> None:
    empty = orphans_message(
        ScanResult(targets=2), scope=ScanFilter(team="data"), prices=default_prices()
    )
    assert "No paid-for waste" in json.dumps(empty["blocks"])
    locked = finding(1, protected=True, action=None)
    message = orphans_message(
        ScanResult(findings=[locked], targets=1),
        scope=ScanFilter(),
        prices=default_prices(),
        open_requests={},
    )
    assert "accessory" not in message["blocks"][-1]
    pending = orphans_message(
        ScanResult(findings=[finding(2)], targets=1),
        scope=ScanFilter(),
        prices=default_prices(),
        open_requests={"vol-00002": 7},
    )
    assert "request #7 is open" in json.dumps(pending["blocks"])


def _product(usd: str, unit: str) -> str:
    return json.dumps(
        {
            "terms": {
                "OnDemand": {
                    "t": {"priceDimensions": {"d": {"unit": unit, "pricePerUnit": {"USD": usd}}}}
                }
            }
        }
    )


def test_refresh_from_the_pricing_api(tmp_path: Path) -> None:
    import boto3

    path = tmp_path / "prices.json"
    document = json.loads((Path("bot/findings/prices.json")).read_text())
    document["regions"] = {"us-east-1": document["regions"]["us-east-1"]}
    path.write_text(json.dumps(document))
    pricing = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(pricing) as stub:
        stub.add_response("get_products", {"PriceList": [_product("0.12", "GB-Mo")]})
        for _ in range(12):
            stub.add_response("get_products", {"PriceList": []})
        changed = refresh(pricing, path=path)
    assert changed == ["us-east-1 ebs_gb_month.gp2: 0.10 -> 0.12"]
    table = PriceTable.load(path)
    assert table.volume("us-east-1", "gp2", 100).monthly == Decimal("12.00")
    assert "Pricing API" in table.source


def test_refresh_unreachable_leaves_the_table_alone(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    path = tmp_path / "prices.json"
    path.write_text(Path("bot/findings/prices.json").read_text())
    pricing = boto3.client(
        "pricing",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(PricingUnavailable, match="could not be used"):
        refresh(pricing, path=path)
    assert path.read_text() == Path("bot/findings/prices.json").read_text()
