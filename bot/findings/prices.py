"""The price table kept in the repo (prices.json): monthly estimates for each kind of waste.

Figures are per region; a region missing from the table falls back to us-east-1 and the
estimate is flagged approximate. Money is Decimal throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.formatting import cents, format_money

PRICES_PATH = Path(__file__).with_name("prices.json")
FALLBACK_REGION = "us-east-1"
#: Included with every gp3 volume at no charge.
GP3_FREE_IOPS = 3000
GP3_FREE_THROUGHPUT = 125


@dataclass(frozen=True)
class Estimate:
    """A monthly cost estimate; `approximate` when another region's prices were used."""

    monthly: Decimal
    approximate: bool = False

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.monthly + other.monthly, self.approximate or other.approximate)


class PriceTable:
    """Prices by region, from the JSON document in `prices.json`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.currency = str(document.get("currency", "USD"))
        self.as_of = str(document["as_of"])
        self.source = str(document["source"])
        self.hours_per_month = Decimal(str(document.get("hours_per_month", 730)))
        self._regions: dict[str, dict[str, Any]] = document["regions"]

    @classmethod
    def load(cls, path: Path = PRICES_PATH) -> PriceTable:
        """Read a price table file."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @property
    def regions(self) -> list[str]:
        """Regions with their own prices."""
        return sorted(self._regions)

    def _region(self, region: str) -> tuple[dict[str, Any], bool]:
        if region in self._regions:
            return self._regions[region], False
        return self._regions[FALLBACK_REGION], True

    def _price(self, region: str, *path: str) -> tuple[Decimal, bool]:
        table, approximate = self._region(region)
        node: Any = table
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return Decimal(0), True  # an unpriced type: say so rather than guess
            node = node[key]
        return Decimal(str(node)), approximate

    def volume(
        self, region: str, volume_type: str, size_gb: int, iops: int = 0, throughput: int = 0
    ) -> Estimate:
        """An EBS volume per month: storage plus provisioned IOPS and throughput where priced."""
        per_gb, approx = self._price(region, "ebs_gb_month", volume_type)
        total = per_gb * size_gb
        billable_iops = iops
        billable_throughput = 0
        if volume_type == "gp3":
            billable_iops = max(0, iops - GP3_FREE_IOPS)
            billable_throughput = max(0, throughput - GP3_FREE_THROUGHPUT)
        if volume_type in ("gp3", "io1", "io2") and billable_iops:
            per_iops, approx_iops = self._price(region, "ebs_iops_month", volume_type)
            total += per_iops * billable_iops
            approx = approx or approx_iops
        if billable_throughput:
            per_mibps, approx_tp = self._price(region, "ebs_throughput_mibps_month", volume_type)
            total += per_mibps * billable_throughput
            approx = approx or approx_tp
        return Estimate(cents(total), approx)

    def snapshot(self, region: str, size_gb: int) -> Estimate:
        """A snapshot per month, priced at its full volume size (an upper bound)."""
        per_gb, approx = self._price(region, "snapshot_gb_month")
        return Estimate(cents(per_gb * size_gb), approx)

    def public_ipv4(self, region: str) -> Estimate:
        """One public IPv4 address (an Elastic IP) for a month."""
        per_hour, approx = self._price(region, "public_ipv4_hour")
        return Estimate(cents(per_hour * self.hours_per_month), approx)

    def s3_gb_month(self, region: str, storage_class: str) -> tuple[Decimal, bool]:
        """S3 storage per GB-month for a class (standard, standard_ia, glacier,
        intelligent_tiering, intelligent_tiering_ia); and whether it is approximate."""
        return self._price(region, "s3_gb_month", storage_class)

    @property
    def s3_as_of(self) -> str:
        """When the S3 storage prices were transcribed."""
        return str(self.document.get("s3_as_of", self.as_of))

    @property
    def s3_source(self) -> str:
        """Where the S3 storage prices come from."""
        return str(self.document.get("s3_source", self.source))

    def load_balancer(self, region: str, lb_type: str) -> Estimate:
        """A load balancer's hourly charge for a month (capacity units not included)."""
        per_hour, approx = self._price(region, "load_balancer_hour", lb_type)
        return Estimate(cents(per_hour * self.hours_per_month), approx)


@lru_cache(maxsize=1)
def default_prices() -> PriceTable:
    """The table shipped in the repo (read once)."""
    return PriceTable.load()


__all__ = ["Estimate", "PriceTable", "cents", "default_prices", "format_money"]
