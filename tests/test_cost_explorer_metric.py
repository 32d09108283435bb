"""The Cost Explorer source's metric choice and charge exclusions, against the stand-in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import boto3

from bot.cost.explorer import CostExplorer, SliceSpec
from standins.cost_explorer import CostExplorerStandin, LineItem

DAY = date(2025, 3, 3)


def _items() -> list[LineItem]:
    common = {"usage_date": DAY, "account_id": "111111111111", "region": "us-east-1"}
    return [
        LineItem(
            **common,
            service="S3",
            usage_type="u",
            amount=Decimal("10.25"),
            tags={"Team": "payments"},
        ),
        LineItem(
            **common,
            service="S3",
            usage_type="c",
            amount=Decimal("-4.00"),
            tags={"Team": "payments"},
            record_type="Credit",
        ),
        LineItem(
            **common, service="Tax", usage_type="t", amount=Decimal("1.10"), record_type="Tax"
        ),
    ]


def test_metric_and_record_type_exclusion(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with CostExplorerStandin(_items(), today=date(2025, 3, 15)) as standin:
        client = boto3.client("ce", region_name="us-east-1", endpoint_url=standin.url)
        spec = SliceSpec(("team", "provider"))
        plain = CostExplorer(client, team_tag="Team")
        days = plain.daily(spec, DAY, date(2025, 3, 4))
        assert sum(days[0].amounts.values()) == Decimal("7.35")
        assert set(days[0].amounts) == {("payments", "AWS"), ("", "AWS")}
        net = CostExplorer(client, team_tag="Team", metric="effective", exclude=["Credit", "Tax"])
        days = net.daily(spec, DAY, date(2025, 3, 4))
        assert days[0].amounts == {("payments", "AWS"): Decimal("10.25")}
        _operation, params = standin.requests[-1]
        assert params["Metrics"] == ["AmortizedCost"]
        assert params["Filter"] == {
            "Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Tax"]}}
        }
        assert net.fingerprint and not plain.fingerprint  # default keeps the old cache keys
        assert (
            net.daily(
                SliceSpec(("team", "provider"), (("provider", "Microsoft"),)), DAY, date(2025, 3, 4)
            )
            == []
        )
