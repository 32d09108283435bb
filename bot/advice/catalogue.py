"""The instance catalogue kept in the repo (instances.json): vCPU, memory and on-demand
price of each EC2 instance type per region, and Fargate's per-vCPU and per-GB prices,
with the date they were read ("as of"), like the orphans price table.

A region missing from the catalogue falls back to us-east-1 and the price is flagged
approximate. Money is Decimal throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.findings.prices import cents

CATALOGUE_PATH = Path(__file__).with_name("instances.json")
FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class InstanceType:
    """One instance type: its family, size, vCPUs and memory."""

    name: str
    family: str
    size: str
    vcpu: int
    memory_gib: Decimal


@dataclass(frozen=True)
class Price:
    """A price; `approximate` when another region's figure was used."""

    amount: Decimal
    approximate: bool = False


class InstanceCatalogue:
    """Instance types and prices from the JSON document in `instances.json`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.currency = str(document.get("currency", "USD"))
        self.as_of = str(document["as_of"])
        self.source = str(document["source"])
        self.hours_per_month = Decimal(str(document.get("hours_per_month", 730)))
        self._sizes: list[str] = list(document["sizes"])
        self._types = {
            name: InstanceType(
                name,
                name.split(".")[0],
                name.split(".", 1)[1],
                int(spec["vcpu"]),
                Decimal(str(spec["memory_gib"])),
            )
            for name, spec in document["types"].items()
        }
        self._regions: dict[str, dict[str, Any]] = document["regions"]

    @classmethod
    def load(cls, path: Path = CATALOGUE_PATH) -> InstanceCatalogue:
        """Read a catalogue file."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @property
    def regions(self) -> list[str]:
        """Regions with their own prices."""
        return sorted(self._regions)

    def instance_type(self, name: str) -> InstanceType | None:
        """The type's specification (None when the catalogue does not know it)."""
        return self._types.get(name)

    def family(self, family: str) -> list[InstanceType]:
        """The family's types, smallest first."""
        members = [t for t in self._types.values() if t.family == family]
        return sorted(members, key=lambda t: self._sizes.index(t.size))

    def next_smaller(self, name: str) -> InstanceType | None:
        """The next smaller size in the same family (None for the smallest or unknown)."""
        current = self._types.get(name)
        if current is None:
            return None
        members = self.family(current.family)
        index = members.index(current)
        return members[index - 1] if index > 0 else None

    def _region(self, region: str) -> tuple[dict[str, Any], bool]:
        if region in self._regions:
            return self._regions[region], False
        return self._regions[FALLBACK_REGION], True

    def hourly(self, region: str, name: str) -> Price | None:
        """On-demand Linux price per hour (None when the type is not in the catalogue)."""
        table, approximate = self._region(region)
        amount = table["instance_hour"].get(name)
        return None if amount is None else Price(Decimal(str(amount)), approximate)

    def monthly(self, region: str, name: str) -> Price | None:
        """On-demand monthly price (hours_per_month hours), rounded to cents."""
        hourly = self.hourly(region, name)
        if hourly is None:
            return None
        return Price(cents(hourly.amount * self.hours_per_month), hourly.approximate)

    def fargate_monthly(self, region: str, *, vcpu: Decimal, memory_gib: Decimal) -> Price:
        """What one Fargate task of this size costs running all month, in cents."""
        table, approximate = self._region(region)
        fargate = table["fargate"]
        hourly = vcpu * Decimal(str(fargate["vcpu_hour"])) + memory_gib * Decimal(
            str(fargate["gb_hour"])
        )
        return Price(cents(hourly * self.hours_per_month), approximate)

    def types_in(self, families: list[str]) -> list[InstanceType]:
        """Every type of these families (catalogue order)."""
        return [t for t in self._types.values() if t.family in families]


@lru_cache(maxsize=1)
def default_catalogue() -> InstanceCatalogue:
    """The catalogue shipped with the bot (read once per process)."""
    return InstanceCatalogue.load()
