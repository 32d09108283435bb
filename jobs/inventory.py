"""The `inventory` job: keep the findings inventory warm (every target whose stored scan
is older than its kind's refresh period). With several replicas each one claims targets
from the database, so the work is shared, not repeated."""

from __future__ import annotations

from collections import Counter

from bot.findings.scope import ScanFilter
from bot.inventory import store
from bot.inventory.listing import all_kinds, due, target_keys
from bot.inventory.refresh import refresher_for
from bot.services import Services
from jobs.registry import scheduled


@scheduled("inventory", trigger="interval", minutes=30)
def inventory_job(services: Services) -> str:
    """Refresh the findings inventory (each kind on its own period) for every target."""
    keys = target_keys(services, all_kinds(), ScanFilter())
    stored = store.read(services.db, keys)
    stale = [k for k in keys if due(services, stored[k])]
    seen = {k: stored[k].generation for k in stale}
    outcomes = Counter(f.result() for f in refresher_for(services).refresh(stale, seen=seen))
    fresh = len(keys) - len(stale)
    return (
        f"{len(keys)} target(s): {outcomes['scanned']} scanned, {outcomes['failed']} failed, "
        f"{outcomes['joined']} scanned by another worker, {fresh} still fresh"
    )
