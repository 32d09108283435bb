"""The inventory's rows: read stored scans, claim a target, save or fail a scan.

A claim is one conditional UPDATE (`claimed_until` empty or past), atomic on SQLite and
PostgreSQL alike, so one worker at a time scans a target — across threads and replicas.
Replicas share work because each one claims targets one by one and skips those claimed
by others (the portable equivalent of `FOR UPDATE SKIP LOCKED`, without holding a row
lock and a connection open for the seconds an AWS scan takes; a claim whose holder died
lapses after `claim_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, true, tuple_, update
from sqlalchemy.exc import IntegrityError

from bot.findings.model import Finding
from storage.db import Database
from storage.models_inventory import InventoryTarget


@dataclass(frozen=True, order=True)
class TargetKey:
    """One kind in one account (an AwsClients key: a configured id or "current") and region."""

    account: str
    region: str
    kind: str


@dataclass
class StoredScan:
    """A target's stored state (findings empty and `scanned_at` None: never scanned)."""

    key: TargetKey
    findings: list[Finding] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    scanned_at: datetime | None = None
    error: str | None = None
    failed_at: datetime | None = None
    stale: bool = False
    claimed_until: datetime | None = None
    generation: int = 0


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); make them aware."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stored(row: InventoryTarget) -> StoredScan:
    return StoredScan(
        key=TargetKey(row.account, row.region, row.kind),
        findings=[Finding.from_json(f) for f in row.findings or []],
        extras=dict(row.extras or {}),
        scanned_at=aware(row.scanned_at),
        error=row.error,
        failed_at=aware(row.failed_at),
        stale=bool(row.stale),
        claimed_until=aware(row.claimed_until),
        generation=row.generation or 0,
    )


def read(db: Database, keys: list[TargetKey]) -> dict[TargetKey, StoredScan]:
    """The stored scan of every key (an empty StoredScan for targets never scanned)."""
    found: dict[TargetKey, StoredScan] = {k: StoredScan(key=k) for k in keys}
    if not keys:
        return found
    wanted = set(keys)
    accounts = sorted({k.account for k in keys})
    kinds = sorted({k.kind for k in keys})  # /orphans decodes no /storage findings
    with db.session() as session:
        rows = session.scalars(
            select(InventoryTarget).where(
                InventoryTarget.account.in_(accounts), InventoryTarget.kind.in_(kinds)
            )
        ).all()
        for row in rows:
            key = TargetKey(row.account, row.region, row.kind)
            if key in wanted:
                found[key] = _stored(row)
    return found


def generation(db: Database, key: TargetKey) -> tuple[int, datetime | None]:
    """The target's scan generation and current claim expiry (0, None when no row)."""
    with db.session() as session:
        row = session.execute(
            select(InventoryTarget.generation, InventoryTarget.claimed_until).where(
                tuple_(InventoryTarget.account, InventoryTarget.region, InventoryTarget.kind)
                == (key.account, key.region, key.kind)
            )
        ).first()
    if row is None:
        return 0, None
    return int(row[0] or 0), aware(row[1])


def _where(key: TargetKey) -> Any:
    return (
        (InventoryTarget.account == key.account)
        & (InventoryTarget.region == key.region)
        & (InventoryTarget.kind == key.kind)
    )


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def claim(
    db: Database,
    key: TargetKey,
    *,
    owner: str,
    now: datetime,
    ttl: timedelta,
    generation: int | None = None,
) -> bool:
    """Take the target for a scan; False when another worker holds an unexpired claim, or
    (with `generation`) when a scan has landed since the caller read that generation."""
    try:
        with db.session() as session:
            session.add(
                InventoryTarget(
                    account=key.account,
                    region=key.region,
                    kind=key.kind,
                    findings=[],
                    extras={},
                    stale=False,
                    generation=0,
                    claimed_by=owner,
                    claimed_until=now + ttl,
                )
            )
        return True
    except IntegrityError:
        pass
    with db.session() as session:
        result = session.execute(
            update(InventoryTarget)
            .where(
                _where(key),
                InventoryTarget.claimed_until.is_(None) | (InventoryTarget.claimed_until < now),
                true() if generation is None else InventoryTarget.generation == generation,
            )
            .values(claimed_by=owner, claimed_until=now + ttl)
        )
        return _rowcount(result) == 1


def save(
    db: Database,
    key: TargetKey,
    *,
    owner: str,
    findings: list[Finding],
    extras: dict[str, Any],
    now: datetime,
) -> bool:
    """Store a finished scan and release our claim; False when the claim was lost."""
    with db.session() as session:
        result = session.execute(
            update(InventoryTarget)
            .where(_where(key), InventoryTarget.claimed_by == owner)
            .values(
                findings=[f.to_json() for f in findings],
                extras=extras,
                scanned_at=now,
                error=None,
                failed_at=None,
                stale=False,
                claimed_by=None,
                claimed_until=None,
                generation=InventoryTarget.generation + 1,
            )
        )
        return _rowcount(result) == 1


def fail(db: Database, key: TargetKey, *, owner: str, error: str, now: datetime) -> bool:
    """Record a failed scan (the last good findings stay) and release our claim."""
    with db.session() as session:
        result = session.execute(
            update(InventoryTarget)
            .where(_where(key), InventoryTarget.claimed_by == owner)
            .values(
                error=error,
                failed_at=now,
                claimed_by=None,
                claimed_until=None,
                generation=InventoryTarget.generation + 1,
            )
        )
        return _rowcount(result) == 1
