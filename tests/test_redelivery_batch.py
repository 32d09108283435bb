"""First deliveries are recorded for retries in batches (one transaction for a burst), and
a name another replica already holds neither fails the batch nor changes hands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.redelivery import PREFIX, Redeliveries
from storage.db import Database
from storage.migrate import upgrade
from storage.models_alerts import JobLock


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def _owners(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {
            row.name[len(PREFIX) :]: row.owner
            for row in session.scalars(select(JobLock).where(JobLock.name.like(PREFIX + "%")))
        }


def test_a_burst_of_first_deliveries_is_recorded_and_seen_by_another_replica(
    db: Database,
) -> None:
    here = Redeliveries(db, owner="here")
    with db.session() as session:  # a retry of k7 reached another replica first
        now = datetime.now(UTC)
        later = now + timedelta(hours=1)
        session.add(JobLock(name=PREFIX + "k7", owner="there", acquired_at=now, expires_at=later))
    keys = [f"k{n}" for n in range(40)]
    for key in keys:
        here.first_delivery(key)
    here.first_delivery("k3")  # seen already: remembered once
    here.flush()
    owners = _owners(db)
    assert sorted(owners) == sorted(keys)
    assert owners["k7"] == "there"  # left as it was, and the batch around it written
    assert {owners[k] for k in keys if k != "k7"} == {"here"}
    other = Redeliveries(db, owner="other")
    assert other.is_duplicate("k12")  # a retry of k12 on another replica is ignored
    assert not other.is_duplicate("never-seen")  # its original never arrived: answered
    assert here.is_duplicate("k12")
