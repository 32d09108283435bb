"""`finops-bot prices refresh`: update prices.json from the AWS Pricing API.

Only figures the API answers are replaced; everything else stays as it was. When the API
cannot be reached (no network, or an endpoint such as moto that does not implement it),
`PricingUnavailable` says so and the file is left untouched.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws import describe_aws_error
from bot.findings.prices import PRICES_PATH

VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")
LB_FAMILIES = {
    "application": "Load Balancer-Application",
    "network": "Load Balancer-Network",
    "gateway": "Load Balancer-Gateway",
    "classic": "Load Balancer",
}


class PricingUnavailable(Exception):
    """The Pricing API could not be used; the message says why."""


def _price(pricing: Any, service: str, unit: str, **fields: str) -> Decimal | None:
    """The first on-demand USD price per `unit` (GB-Mo, Hrs) of a product matching `fields`."""
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]
    answer = pricing.get_products(ServiceCode=service, Filters=filters, MaxResults=10)
    for text in answer.get("PriceList", []):
        product = json.loads(text) if isinstance(text, str) else text
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = dimension.get("pricePerUnit", {}).get("USD")
                if dimension.get("unit") == unit and usd and Decimal(usd) > 0:
                    return Decimal(usd)
    return None


def _queries(region: str) -> list[tuple[list[str], str, str, dict[str, str]]]:
    """(keys in the table, service code, unit, product attributes) for one region."""
    queries = [
        (
            ["ebs_gb_month", vt],
            "AmazonEC2",
            "GB-Mo",
            {"regionCode": region, "productFamily": "Storage", "volumeApiName": vt},
        )
        for vt in VOLUME_TYPES
    ]
    queries.append(
        (
            ["snapshot_gb_month"],
            "AmazonEC2",
            "GB-Mo",
            {
                "regionCode": region,
                "productFamily": "Storage Snapshot",
                "storageMedia": "Amazon S3",
            },
        )
    )
    queries.append(
        (
            ["public_ipv4_hour"],
            "AmazonVPC",
            "Hrs",
            {"regionCode": region, "group": "VPCPublicIPv4Address"},
        )
    )
    queries += [
        (
            ["load_balancer_hour", lb_type],
            "AWSELB",
            "Hrs",
            {"regionCode": region, "productFamily": family},
        )
        for lb_type, family in LB_FAMILIES.items()
    ]
    return queries


def refresh(client: Any, *, path: Path = PRICES_PATH, today: date | None = None) -> list[str]:
    """Update every region of the table in `path`; returns the figures changed."""
    document = json.loads(path.read_text(encoding="utf-8"))
    changed: list[str] = []
    try:
        for region, table in document["regions"].items():
            for keys, service, unit, fields in _queries(region):
                value = _price(client, service, unit, **fields)
                if value is None:
                    continue
                node = table
                for key in keys[:-1]:
                    node = node.setdefault(key, {})
                new = str(value.normalize())
                if str(node.get(keys[-1])) != new:
                    changed.append(f"{region} {'.'.join(keys)}: {node.get(keys[-1])} -> {new}")
                    node[keys[-1]] = new
    except (ClientError, BotoCoreError) as exc:
        raise PricingUnavailable(
            f"the AWS Pricing API could not be used ({describe_aws_error(exc)}); "
            f"{path.name} was left unchanged"
        ) from None
    document["as_of"] = (today or date.today()).isoformat()
    document["source"] = "AWS Pricing API (GetProducts, on-demand USD): finops-bot prices refresh"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return changed
