"""The inventory's rows on a real SQLite file and a real PostgreSQL server: one claim at a
time per target (threads racing), release on save/fail, a lapsed claim taken over, the
last good findings kept beside an error, and an action's change applied at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.findings.model import Finding
from bot.inventory import store
from bot.inventory.store import TargetKey
from storage import inventory_updates
from storage.db import Database
from storage.migrate import upgrade

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
KEY = TargetKey("111111111111", "us-east-1", "volume")


def finding(resource_id: str, cost: str = "10.00") -> Finding:
    return Finding(
        resource_id=resource_id,
        kind="volume",
        resource_type="ebs-volume",
        region="us-east-1",
        account="111111111111",
        name="",
        size="100 GiB gp2",
        age_days=3,
        tags={},
        team="payments",
        owner=None,
        monthly_cost=Decimal(cost),
        approximate=False,
        action="snapshot-and-delete-volume",
    )


def database(tmp_path: Path, database_url: str) -> Database:
    db = Database(database_url)
    upgrade(db.engine)
    return db


def test_claims_saves_failures_and_takeover(tmp_path: Path, database_url: str) -> None:
    db = database(tmp_path, database_url)
    assert store.read(db, [KEY])[KEY].scanned_at is None  # never scanned
    assert store.claim(db, KEY, owner="a", now=NOW, ttl=TTL)
    assert not store.claim(db, KEY, owner="b", now=NOW + timedelta(minutes=1), ttl=TTL)
    assert store.save(db, KEY, owner="a", findings=[finding("vol-1")], extras={"n": 1}, now=NOW)
    stored = store.read(db, [KEY])[KEY]
    assert [f.resource_id for f in stored.findings] == ["vol-1"]
    assert stored.findings[0].monthly_cost == Decimal("10.00")
    assert stored.scanned_at == NOW and stored.extras == {"n": 1} and stored.generation == 1
    # Released on save: the next worker may claim at once.
    later = NOW + timedelta(minutes=20)
    assert store.claim(db, KEY, owner="b", now=later, ttl=TTL)
    assert store.fail(db, KEY, owner="b", error="AccessDenied: no", now=later)
    failed = store.read(db, [KEY])[KEY]
    assert [f.resource_id for f in failed.findings] == ["vol-1"]  # last good findings stay
    assert failed.error == "AccessDenied: no" and failed.scanned_at == NOW
    # A claim whose holder died lapses after its ttl; the dead holder cannot save then.
    assert store.claim(db, KEY, owner="dead", now=later, ttl=TTL)
    assert store.claim(db, KEY, owner="c", now=later + TTL + timedelta(seconds=1), ttl=TTL)
    assert not store.save(db, KEY, owner="dead", findings=[], extras={}, now=later)
    db.dispose()


def test_racing_threads_one_claim(tmp_path: Path, database_url: str) -> None:
    db = database(tmp_path, database_url)
    keys = [TargetKey("111111111111", r, k) for r in ("us-east-1", "eu-west-1") for k in "ab"]
    wins: list[tuple[TargetKey, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(name: str) -> None:
        start.wait()
        for key in keys:
            if store.claim(db, key, owner=name, now=NOW, ttl=TTL):
                with lock:
                    wins.append((key, name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k for k, _ in wins) == sorted(keys)  # each target claimed exactly once
    db.dispose()


def test_an_executed_action_drops_the_finding_and_a_restore_marks_stale(
    tmp_path: Path, database_url: str
) -> None:
    db = database(tmp_path, database_url)
    store.claim(db, KEY, owner="a", now=NOW, ttl=TTL)
    store.save(
        db, KEY, owner="a", findings=[finding("vol-1"), finding("vol-2")], extras={}, now=NOW
    )
    with db.session() as session:
        touched = inventory_updates.resource_changed(
            session, account="111111111111", region="us-east-1", resource_id="vol-1", gone=True
        )
    assert touched == 1
    stored = store.read(db, [KEY])[KEY]
    assert [f.resource_id for f in stored.findings] == ["vol-2"] and not stored.stale
    with db.session() as session:
        inventory_updates.resource_changed(
            session, account="111111111111", region="us-east-1", resource_id="vol-1", gone=False
        )
    assert store.read(db, [KEY])[KEY].stale
    db.dispose()


def test_a_claim_for_a_generation_another_scan_has_passed_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    db = database(tmp_path, database_url)
    seen = store.generation(db, KEY)[0]
    assert store.claim(db, KEY, owner="a", now=NOW, ttl=TTL, generation=seen)
    assert store.save(db, KEY, owner="a", findings=[finding("vol-1")], extras={}, now=NOW)
    # a second replica read the target before that scan landed: it must not scan again
    assert not store.claim(db, KEY, owner="b", now=NOW, ttl=TTL, generation=seen)
    assert store.claim(db, KEY, owner="b", now=NOW, ttl=TTL, generation=seen + 1)
    db.dispose()
