"""`finops-bot prices refresh`, second half: update instances.json from the AWS Pricing API.

For every instance type and region already in the catalogue it asks for the on-demand
Linux, shared-tenancy hourly price (and reads vCPU and memory from the product), and per
region the Fargate Linux/x86 per-vCPU-hour and per-GB-hour prices. Only figures the API
answers are replaced; everything else stays as it was. The calls (types x regions, about
310) run on a small thread pool. When the API cannot be used, `PricingUnavailable` says so
and nothing is written: `prepare` reads everything first, `CatalogueUpdate.save` writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bot.advice.catalogue import CATALOGUE_PATH
from bot.aws import describe_aws_error
from bot.orphans.prices_refresh import PricingUnavailable

__all__ = ["PRICING_CONFIG", "CatalogueUpdate", "PricingUnavailable", "prepare", "refresh"]

WORKERS = 8
# Merged over bot.aws.DEFAULT_CLIENT_CONFIG: fail fast when unreachable, one connection per worker.
PRICING_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=WORKERS,
)
SOURCE = (
    "AWS Pricing API (GetProducts, on-demand USD; EC2 Linux shared tenancy, "
    "Fargate Linux/x86): finops-bot prices refresh"
)
FARGATE_USAGE = {"vcpu_hour": "Fargate-vCPU-Hours:perCPU", "gb_hour": "Fargate-GB-Hours"}
INSTANCE_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}


@dataclass(frozen=True)
class _InstanceAnswer:
    hourly: Decimal | None = None
    vcpu: int | None = None
    memory_gib: Decimal | None = None


@dataclass
class CatalogueUpdate:
    """The refreshed catalogue, not yet written; `changed` lists each figure that moved."""

    path: Path
    document: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    trailing_newline: bool = False
    #: Every price was answered (so "as of" moves even when none changed).
    confirmed: bool = False

    def save(self) -> None:
        """Write the catalogue back (same layout, indent=1) when anything changed or every
        price was confirmed (a newer "as of")."""
        if not self.changed and not self.confirmed:
            return
        text = json.dumps(self.document, indent=1) + ("\n" if self.trailing_newline else "")
        self.path.write_text(text, encoding="utf-8")


def _text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 0.0960000000 -> 0.096."""
    return format(value.normalize(), "f")


def _products(pricing: Any, service: str, fields: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Every product matching `fields` (all pages); unparseable entries are skipped."""
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": service, "Filters": filters, "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        answer = pricing.get_products(**kwargs)
        for text in answer.get("PriceList", []):
            try:
                product = json.loads(text) if isinstance(text, str) else text
            except ValueError:
                continue
            if isinstance(product, dict):
                yield product
        token = answer.get("NextToken")
        if not token:
            return


def _usd(product: dict[str, Any], unit: str | None = None) -> Decimal | None:
    """The product's first on-demand USD price above zero (per `unit` when given)."""
    try:
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = dimension.get("pricePerUnit", {}).get("USD")
                if unit is not None and dimension.get("unit") != unit:
                    continue
                if usd and Decimal(usd) > 0:
                    return Decimal(usd)
    except (AttributeError, InvalidOperation, TypeError):
        return None
    return None


def _attributes(product: dict[str, Any]) -> dict[str, Any]:
    attributes = product.get("product", {})
    attributes = attributes.get("attributes", {}) if isinstance(attributes, dict) else {}
    return attributes if isinstance(attributes, dict) else {}


def _memory_gib(text: Any) -> Decimal | None:
    """ "8 GiB" or "1,024 GiB" -> Decimal; None when it is not that shape."""
    if not isinstance(text, str) or not text.strip().endswith("GiB"):
        return None
    try:
        value = Decimal(text.strip()[:-3].replace(",", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def _instance(client: Any, region: str, name: str) -> _InstanceAnswer:
    """Hourly on-demand Linux price, vCPU and memory of `name` in `region`."""
    fields = {"instanceType": name, "regionCode": region, **INSTANCE_FILTERS}
    for product in _products(client, "AmazonEC2", fields):
        hourly = _usd(product, "Hrs")
        if hourly is None:
            continue
        attributes = _attributes(product)
        vcpu = str(attributes.get("vcpu", ""))
        return _InstanceAnswer(
            hourly,
            int(vcpu) if vcpu.isdigit() and int(vcpu) > 0 else None,
            _memory_gib(attributes.get("memory")),
        )
    return _InstanceAnswer()


def _fargate(client: Any, region: str) -> dict[str, Decimal]:
    """Fargate's per-vCPU-hour and per-GB-hour prices in `region` (those found)."""
    found: dict[str, Decimal] = {}
    for product in _products(client, "AmazonECS", {"regionCode": region}):
        usage = str(_attributes(product).get("usagetype", ""))
        for key, suffix in FARGATE_USAGE.items():
            if key not in found and usage.endswith(suffix):
                price = _usd(product)
                if price is not None:
                    found[key] = price
    return found


def _set(table: dict[str, Any], key: str, value: Decimal, label: str, changed: list[str]) -> None:
    """Replace table[key] when the figure differs (as a number); record the change."""
    old = table.get(key)
    try:
        same = old is not None and Decimal(str(old)) == value
    except InvalidOperation:
        same = False
    if not same:
        table[key] = _text(value)
        changed.append(f"{label}: {old} -> {table[key]}")


def _run(jobs: list[Callable[[], Any]], workers: int) -> list[Any]:
    """Run the jobs (first one alone, as a probe), results in job order; stop at a failure."""
    if not jobs:
        return []
    results = [jobs[0]()]
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pricing")
    try:
        futures: list[Future[Any]] = [pool.submit(job) for job in jobs[1:]]
        results += [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def prepare(
    client: Any, *, path: Path = CATALOGUE_PATH, today: date | None = None, workers: int = WORKERS
) -> CatalogueUpdate:
    """Read every figure of the catalogue in `path` from the Pricing API; nothing is written."""
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    regions: dict[str, Any] = document["regions"]
    types: dict[str, Any] = document["types"]
    jobs: list[Callable[[], Any]] = []
    for region, table in regions.items():
        jobs.append(partial(_fargate, client, region))
        jobs += [partial(_instance, client, region, name) for name in table["instance_hour"]]
    try:
        results = iter(_run(jobs, workers))
    except (ClientError, BotoCoreError) as exc:
        raise PricingUnavailable(
            f"the AWS Pricing API could not be used ({describe_aws_error(exc)}); "
            f"{path.name} was left unchanged"
        ) from None
    update = CatalogueUpdate(path, document, trailing_newline=text.endswith("\n"))
    specs: dict[str, _InstanceAnswer] = {}
    missing = 0
    for region, table in regions.items():
        fargate: dict[str, Decimal] = next(results)
        missing += len(set(table.get("fargate", {})) - set(fargate))
        for key, value in fargate.items():
            _set(
                table.setdefault("fargate", {}),
                key,
                value,
                f"{region} fargate.{key}",
                update.changed,
            )
        for name in list(table["instance_hour"]):
            answer: _InstanceAnswer = next(results)
            missing += answer.hourly is None
            if answer.hourly is not None:
                _set(
                    table["instance_hour"],
                    name,
                    answer.hourly,
                    f"{region} instance_hour.{name}",
                    update.changed,
                )
            if answer.vcpu is not None or answer.memory_gib is not None:
                specs.setdefault(name, answer)  # the first region that says wins
    for name, answer in specs.items():
        spec = types.get(name)
        if spec is None:
            continue
        if answer.vcpu is not None and spec.get("vcpu") != answer.vcpu:
            update.changed.append(f"{name} vcpu: {spec.get('vcpu')} -> {answer.vcpu}")
            spec["vcpu"] = answer.vcpu
        if answer.memory_gib is not None:
            _set(spec, "memory_gib", answer.memory_gib, f"{name} memory_gib", update.changed)
    update.confirmed = missing == 0
    if update.changed or update.confirmed:
        document["as_of"] = (today or date.today()).isoformat()
        document["source"] = SOURCE
    return update


def refresh(
    client: Any, *, path: Path = CATALOGUE_PATH, today: date | None = None, workers: int = WORKERS
) -> list[str]:
    """Update the catalogue in `path` from the Pricing API; returns the figures changed."""
    update = prepare(client, path=path, today=today, workers=workers)
    update.save()
    return update.changed
