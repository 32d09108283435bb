"""Leases in the database: one holder at a time, renewal, expiry, races (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from jobs.lease import Lease, LeaseBusy
from tests.clock_fixtures import ManualClock, services_on


def test_one_holder_renewal_and_takeover_after_expiry(tmp_path: Path, database_url: str) -> None:
    services = services_on(tmp_path, database_url)
    clock = ManualClock()
    first = Lease(services.db, "clock", owner="a", ttl=timedelta(minutes=2), now=clock)
    second = Lease(services.db, "clock", owner="b", ttl=timedelta(minutes=2), now=clock)
    assert first.acquire()
    assert not second.acquire()
    assert second.holder() == "a"
    clock.advance(minutes=1)
    assert first.renew()  # now good until +3 min
    clock.advance(minutes=1, seconds=30)
    assert not second.acquire()  # renewed, so still a's
    clock.advance(minutes=1)
    assert second.holder() is None  # a stopped renewing: lapsed
    assert second.acquire()
    assert not first.renew()  # a lost it and knows
    assert not first.acquire()
    second.release()
    assert first.acquire()
    services.db.dispose()


def test_racing_processes_elect_exactly_one(tmp_path: Path, database_url: str) -> None:
    services = services_on(tmp_path, database_url)
    clock = ManualClock()
    leases = [Lease(services.db, "race", owner=f"p{i}", now=clock) for i in range(8)]
    start = threading.Barrier(len(leases))
    wins: list[str] = []

    def contend(lease: Lease) -> None:
        start.wait()
        if lease.acquire():
            wins.append(lease.owner)

    threads = [threading.Thread(target=contend, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1, wins
    assert leases[0].holder() == wins[0]
    services.db.dispose()


def test_held_renews_in_the_background_and_releases(tmp_path: Path, sqlite_url: str) -> None:
    services = services_on(tmp_path, sqlite_url)
    clock = ManualClock()
    lease = Lease(services.db, "job:x", owner="me", ttl=timedelta(seconds=3), now=clock)
    other = Lease(services.db, "job:x", owner="other", ttl=timedelta(seconds=3), now=clock)
    with lease.held(renew_every=0.05):
        clock.advance(seconds=2)
        threading.Event().wait(0.3)  # a renewal happens: expiry moves to now + 3 s
        clock.advance(seconds=2)
        assert other.holder() == "me"
        try:
            with other.held():
                raise AssertionError("two holders")
        except LeaseBusy as busy:
            assert busy.holder == "me"
    assert other.holder() is None
    assert other.acquire()
    services.db.dispose()
