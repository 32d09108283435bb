"""Reading a listing from the inventory: the stored findings of the selected targets,
how old they are, what failed; refreshing the stale ones in the background.

Every listing command runs `list_findings` (parse scope → read the inventory → render):
fresh targets answer at once; stale or missing ones answer from what there is and
refresh, and `on_refreshed` gets the new listing when the last of those scans lands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.config import FinopsConfig
from bot.findings.model import Finding
from bot.findings.registry import load_kinds
from bot.findings.scope import ScanFailure, ScanFilter
from bot.inventory import store
from bot.inventory.refresh import refresher_for
from bot.inventory.store import StoredScan, TargetKey
from bot.services import Services


@dataclass
class Listing:
    """Findings of the selected targets (stable order), their failures and their age."""

    findings: list[Finding] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)
    scans: list[StoredScan] = field(default_factory=list)
    #: Oldest scan among the targets that have one (what "as of" shows).
    as_of: datetime | None = None
    #: Newest scan among them (a later page compares it with its first page's).
    newest: datetime | None = None
    #: Targets with no stored scan yet.
    missing: int = 0
    #: A refresh of (some of) these targets is under way.
    refreshing: bool = False
    #: The scans under way, and how to read the listing again once they land.
    pending: list[Future[str]] = field(default_factory=list, repr=False)
    reread: Callable[[], Listing] | None = field(default=None, repr=False)

    def when_refreshed(self, callback: Callable[[Listing], None]) -> None:
        """Call `callback` with the new listing when the last pending scan lands (at once,
        in this thread, when they all have already); nothing when nothing is pending."""
        if not self.pending or self.reread is None:
            return
        remaining = [len(self.pending)]
        lock = threading.Lock()
        reread = self.reread

        def landed(_future: Future[str]) -> None:
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                callback(reread())

        for future in self.pending:
            future.add_done_callback(landed)

    @property
    def total(self) -> Decimal:
        """Monthly figure of every finding listed."""
        return sum((f.monthly_cost for f in self.findings), Decimal("0.00"))

    @property
    def targets(self) -> int:
        """Targets read."""
        return len(self.scans)

    def extras(self, kind: str, key: str) -> list[Any]:
        """Every target's extras list `key` of kind `kind`, concatenated."""
        values: list[Any] = []
        for scan in self.scans:
            if scan.key.kind == kind:
                values += list(scan.extras.get(key, []))
        return values

    def extra_total(self, kind: str, key: str, *, team: str | None = None) -> int:
        """The sum of every target's extra `key` of kind `kind`: an integer, or counts per
        team (then only `team`'s when one is given)."""
        total = 0
        for scan in self.scans:
            if scan.key.kind != kind:
                continue
            value = scan.extras.get(key, 0)
            if isinstance(value, dict):
                total += sum(int(n) for t, n in value.items() if team is None or t == team)
            else:
                total += int(value)
        return total


def max_age(config: FinopsConfig, kind: str) -> timedelta:
    """How old a kind's stored findings may be before a listing refreshes them."""
    settings = config.inventory
    minutes = settings.kind_max_age_minutes.get(kind)
    if minutes is None:
        registered = load_kinds().get(kind)
        metrics = registered is not None and registered.refresh == "metrics"
        minutes = settings.metrics_max_age_minutes if metrics else settings.max_age_minutes
    return timedelta(minutes=minutes)


def target_keys(services: Services, kinds: Iterable[str], scope: ScanFilter) -> list[TargetKey]:
    """Every (account, region, kind) target of the selected kinds and region."""
    return [
        TargetKey(t.account, t.region, kind)
        for t in services.aws.targets()
        if scope.region is None or t.region == scope.region
        for kind in kinds
    ]


def sort_key(finding: Finding) -> tuple[Any, ...]:
    """Largest figure first, then a total order (kind, account, region, id): paging is stable."""
    return (
        -finding.monthly_cost,
        finding.kind,
        finding.account,
        finding.region,
        finding.resource_id,
    )


def _failure(scan: StoredScan, now: datetime) -> ScanFailure:
    if scan.scanned_at is None:
        note = "nothing stored yet"
    else:
        minutes = int((now - scan.scanned_at).total_seconds() // 60)
        note = f"showing findings from {scan.scanned_at:%H:%M} UTC ({minutes} min old)"
    return ScanFailure(scan.key.account, scan.key.region, scan.key.kind, f"{scan.error} ({note})")


def build_listing(services: Services, scans: list[StoredScan], scope: ScanFilter) -> Listing:
    """A listing of stored scans, with the team filter applied."""
    now = services.now()
    listing = Listing(scans=scans)
    times = [s.scanned_at for s in scans if s.scanned_at is not None]
    listing.as_of = min(times) if times else None
    listing.newest = max(times) if times else None
    listing.missing = sum(1 for s in scans if s.scanned_at is None)
    for scan in scans:
        listing.findings += [f for f in scan.findings if scope.keeps(f)]
        if scan.error:
            listing.failures.append(_failure(scan, now))
    listing.findings.sort(key=sort_key)
    return listing


def due(services: Services, scan: StoredScan) -> bool:
    """Whether a stored scan is missing, marked stale, or older than its kind's max age."""
    if scan.scanned_at is None or scan.stale:
        return True
    return services.now() - scan.scanned_at > max_age(services.config, scan.key.kind)


def read_listing(services: Services, *, kinds: Iterable[str], scope: ScanFilter) -> Listing:
    """The stored listing as it is (no refresh)."""
    keys = target_keys(services, kinds, scope)
    stored = store.read(services.db, keys)
    return build_listing(services, [stored[k] for k in keys], scope)


def list_findings(
    services: Services, *, kinds: Iterable[str], scope: ScanFilter, refresh: bool = False
) -> Listing:
    """The listing from the inventory now; stale targets (all with `refresh`) start
    refreshing in the background (see `Listing.when_refreshed`)."""
    names = list(kinds)
    keys = target_keys(services, names, scope)
    stored = store.read(services.db, keys)
    listing = build_listing(services, [stored[k] for k in keys], scope)
    stale = [k for k in keys if refresh or due(services, stored[k])]
    if stale:
        listing.refreshing = True
        seen = {k: stored[k].generation for k in stale}
        listing.pending = refresher_for(services).refresh(stale, seen=seen)
        listing.reread = lambda: read_listing(services, kinds=names, scope=scope)
    return listing


def refresh_and_wait(
    services: Services, *, kinds: Iterable[str], scope: ScanFilter, refresh: bool = False
) -> Listing:
    """Refresh what is due (everything with `refresh`), wait, and read the listing."""
    names = list(kinds)
    keys = target_keys(services, names, scope)
    stored = store.read(services.db, keys)
    stale = [k for k in keys if refresh or due(services, stored[k])]
    seen = {k: stored[k].generation for k in stale}
    for future in refresher_for(services).refresh(stale, seen=seen):
        future.result()
    return read_listing(services, kinds=names, scope=scope)


def family_kinds(family: str) -> list[str]:
    """The registered kinds a listing family shows."""
    return sorted(k for k, v in load_kinds().items() if v.family == family)


def all_kinds() -> list[str]:
    """Every registered kind."""
    return sorted(load_kinds())
