"""Findings and finding kinds (one small module per kind, Custodian-style).

A kind knows what it scans in one account and region (and the IAM permissions for that),
how it prices a finding, how to re-check one resource right before a change, and which
registered remediation actions it offers. Waste (`/orphans`) and advice (`/rightsize`,
`/storage`, `/compute`) are the same concept; `family` says which listing shows a kind.
The list of kinds is `bot.findings.registry`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from bot.config import FinopsConfig
from bot.findings.prices import PriceTable

#: Tags the bot itself puts on what it creates (pre-delete snapshots, AMIs).
CREATED_BY_TAG = "finops:created-by"
RESTORE_UNTIL_TAG = "finops:restore-until"


class NotEligible(Exception):
    """The resource is no longer waste (or cannot be cleaned up); the message says why."""


@dataclass
class Finding:
    """One piece of paid-for waste (plain data; safe to store as JSON)."""

    resource_id: str
    kind: str
    resource_type: str
    region: str
    account: str
    name: str
    size: str
    age_days: int | None
    tags: dict[str, str]
    team: str | None
    owner: str | None
    monthly_cost: Decimal
    approximate: bool
    action: str | None  # the cleanup offered; None when protected
    protected: bool = False
    reason: str = ""  # why it is waste, in a few words
    details: dict[str, Any] = field(default_factory=dict)  # what a cleanup/restore needs

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (money as a string with two decimals). Tags and details are
        copied one level deep (their values are JSON values the kinds made): `asdict`'s
        deep copy of every value was a tenth of an inventory refresh's CPU."""
        data = {f.name: getattr(self, f.name) for f in _FIELDS}
        data["monthly_cost"] = str(self.monthly_cost)
        data["tags"] = dict(self.tags)
        data["details"] = {
            k: list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
            for k, v in self.details.items()
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The inverse of `to_json`."""
        values = dict(data)
        values["monthly_cost"] = Decimal(str(values["monthly_cost"]))
        return cls(**values)


_FIELDS = fields(Finding)
T = TypeVar("T")

#: Page sizes of the paged describes the kinds make (the API's largest page, or 1,000).
#: Without one, DescribeVolumes, DescribeSnapshots and DescribeInstances answer the whole
#: estate in one reply, which can outlast any sane read timeout in a large account.
PAGE_SIZES: dict[tuple[str, str], int] = {
    ("ec2", "describe_volumes"): 500,
    ("ec2", "describe_snapshots"): 1000,
    ("ec2", "describe_instances"): 1000,
    ("ec2", "describe_images"): 1000,
    ("elbv2", "describe_load_balancers"): 400,
    ("elbv2", "describe_target_groups"): 400,
    ("elb", "describe_load_balancers"): 400,
    ("autoscaling", "describe_auto_scaling_groups"): 100,
}


def _by_id(kwargs: dict[str, Any]) -> bool:
    """Whether a describe names its resources (MaxResults is refused beside ids)."""
    return any(name.endswith("Ids") and name != "OwnerIds" for name in kwargs)


class _Cached:
    """One shared listing of a target: loaded once, by the first caller."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: Any = None
        self.error: Exception | None = None


class TargetContext:
    """What a kind needs to look at one account and region: clients, config, clock, prices.

    `cached(key, load)` shares one listing (say, all volumes) between the kinds scanning
    the same target concurrently.
    """

    def __init__(
        self,
        *,
        client: Callable[[str], Any],
        account: str,
        region: str,
        config: FinopsConfig,
        now: datetime,
        prices: PriceTable,
    ) -> None:
        self.client = client
        self.account = account
        self.region = region
        self.config = config
        self.now = now
        self.prices = prices
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def cached(self, key: str, load: Callable[[], T]) -> T:
        """`load()` once per target; concurrent callers wait for the first. A load that
        failed fails every caller with the same error (a describe that timed out after all
        its attempts is not tried again by each kind that needs it). Loads of different
        keys run concurrently."""
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                entry = self._cache[key] = _Cached()
        with entry.lock:
            if not entry.done:
                try:
                    entry.value = load()
                except Exception as exc:
                    entry.error = exc
                entry.done = True
        if entry.error is not None:
            raise entry.error
        value: T = entry.value
        return value

    def paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        """Every item under `key` across all pages of `operation`, in pages of a bounded
        size (`PAGE_SIZES`) so that each call answers quickly whatever the estate's size
        (some describes answer everything at once when no page size is given)."""
        paginator = self.client(service).get_paginator(operation)
        size = PAGE_SIZES.get((service, operation))
        if size is not None and "PaginationConfig" not in kwargs and not _by_id(kwargs):
            kwargs["PaginationConfig"] = {"PageSize": size}
        return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]

    def volumes(self) -> list[dict[str, Any]]:
        """Every EBS volume of the target: one DescribeVolumes pass, shared by the kinds."""
        return self.cached("volumes", lambda: self.paginate("ec2", "describe_volumes", "Volumes"))

    def snapshots(self) -> list[dict[str, Any]]:
        """The target's own EBS snapshots: one DescribeSnapshots pass, shared by the kinds."""
        return self.cached(
            "snapshots",
            lambda: self.paginate("ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"]),
        )

    def addresses(self) -> list[dict[str, Any]]:
        """The target's Elastic IPs: one DescribeAddresses call (it is not paginated: every
        address at once), shared by the kinds."""
        return self.cached(
            "addresses", lambda: list(self.client("ec2").describe_addresses()["Addresses"])
        )

    def instances(self, state: str) -> list[dict[str, Any]]:
        """The target's instances in `state` (running, stopped...): one DescribeInstances
        pass of every instance, shared by the kinds, filtered here."""

        def load() -> list[dict[str, Any]]:
            pages = self.paginate("ec2", "describe_instances", "Reservations")
            return [i for r in pages for i in r.get("Instances", [])]

        return [
            i for i in self.cached("instances", load) if i.get("State", {}).get("Name") == state
        ]

    def finding(
        self,
        kind: FindingKind,
        *,
        resource_id: str,
        tags: dict[str, str],
        name: str = "",
        size: str,
        age_days: int | None,
        monthly_cost: Decimal,
        approximate: bool,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding with team, owner and protection read from the configured tag keys."""
        keys = self.config.tags
        protected = tags.get(keys.protect, "").strip().lower() in ("true", "yes", "1")
        return Finding(
            resource_id=resource_id,
            kind=kind.name,
            resource_type=kind.resource_type,
            region=self.region,
            account=self.account,
            name=name or tags.get("Name", ""),
            size=size,
            age_days=age_days,
            tags=tags,
            team=tags.get(keys.team) or None,
            owner=tags.get(keys.owner) or None,
            monthly_cost=monthly_cost,
            approximate=approximate,
            action=None if protected else kind.action,
            protected=protected,
            reason=reason,
            details=details or {},
        )

    def age_days(self, since: datetime | None) -> int | None:
        """Whole days from `since` to the clock's now."""
        if since is None:
            return None
        return max(0, (self.now - since).days)


class FindingKind:
    """Base of every kind: subclasses set the class attributes and implement two methods."""

    name: ClassVar[str]
    resource_type: ClassVar[str]  # e.g. "ebs-volume"
    title: ClassVar[str]  # plural, for headings: "Unattached EBS volumes"
    action: ClassVar[str | None]  # the registered action offered by default
    permissions: ClassVar[tuple[str, ...]]  # IAM actions the scan needs
    #: Every registered action a finding of this kind may offer (default: `action`).
    actions: ClassVar[tuple[str, ...]] = ()
    #: The listing command family that shows it: orphans, rightsize, storage, compute.
    family: ClassVar[str] = "orphans"
    #: "describe" kinds follow the inventory's refresh; "metrics" kinds read CloudWatch
    #: (GetMetricData bills per metric) and refresh once a day by default.
    refresh: ClassVar[str] = "describe"
    #: GetMetricData metrics one scanned resource costs (for the projected API cost).
    metrics_per_resource: ClassVar[int] = 0
    #: Finding kinds this scan produces (default: its own name).
    emits: ClassVar[tuple[str, ...]] = ()

    def offered_actions(self) -> tuple[str, ...]:
        """Every action a finding of this kind may carry."""
        if self.actions:
            return self.actions
        return (self.action,) if self.action else ()

    def finding_kinds(self) -> tuple[str, ...]:
        """The `Finding.kind` values this scan produces."""
        return self.emits or (self.name,)

    def scan(self, ctx: TargetContext) -> list[Finding]:
        """Every finding of this kind in the context's account and region."""
        raise NotImplementedError

    def scan_target(self, ctx: TargetContext) -> tuple[list[Finding], dict[str, Any]]:
        """`scan`, plus what a listing shows besides findings (no-data instances, notes)
        as JSON-safe extras; kinds with extras override this instead of `scan`. A kind that
        could read only part of a target names the resource types it could not read in
        `extras[PART_FAILURES]` ([type, message] pairs): the inventory then keeps that
        type's last good findings (bot/inventory/partial.py)."""
        return self.scan(ctx), {}

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        """The resource as it is now; NotEligible when it is no longer waste."""
        raise NotImplementedError


#: Extras key of a partly read target: [resource type, message] pairs.
PART_FAILURES = "failures"

KINDS: dict[str, FindingKind] = {}


def register(cls: type[FindingKind]) -> type[FindingKind]:
    """Class decorator: add a kind to the registry under its `name`."""
    if cls.name in KINDS:
        raise ValueError(f"finding kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls()
    return cls


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """AWS `[{"Key":..,"Value":..}]` tags as a dict."""
    return {t["Key"]: t.get("Value", "") for t in tags or []}
