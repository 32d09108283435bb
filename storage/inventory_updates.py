"""What an executed or undone action changes in the stored inventory, right away.

Lives in storage (plain rows, no domain objects) so the remediation service can call it
without depending on the inventory package above it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models_inventory import InventoryTarget
from storage.models_remediation import CleanupRequest

#: Kinds that list resources rather than findings: an action's resource leaves them for
#: the moment, and they are rescanned at the next chance (it may still exist, changed).
REFRESH_ON_CHANGE = frozenset({"tags"})


def resource_changed(
    session: Session, *, account: str, region: str, resource_id: str, gone: bool
) -> int:
    """Drop the resource's findings from its targets (`gone`: it was cleaned up or
    changed as advised) or mark those targets for a refresh (restored); rows touched."""
    rows = session.scalars(
        select(InventoryTarget).where(
            InventoryTarget.account.in_([account, "current"]),
            InventoryTarget.region == region,
        )
    ).all()
    touched = 0
    for row in rows:
        findings = list(row.findings or [])
        kept = [f for f in findings if f.get("resource_id") != resource_id]
        if gone and len(kept) != len(findings):
            row.findings = kept
            # the resource list of /tags: a changed resource still exists (say, resized)
            row.stale = row.stale or row.kind in REFRESH_ON_CHANGE
            touched += 1
        elif not gone:
            row.stale = True
            touched += 1
    return touched


def changed(session: Session, request: CleanupRequest, *, gone: bool) -> int:
    """`resource_changed` for the resource of a cleanup request."""
    return resource_changed(
        session,
        account=request.account,
        region=request.region,
        resource_id=request.resource_id,
        gone=gone,
    )
