"""The inventory against moto: a cold listing scans each target once however many ask at
once, fresh listings answer from the store, stale ones refresh (metric kinds daily), a
failing target keeps its last good findings with its error, and the digest's savings
read the same figures."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

from bot.findings.registry import load_kinds
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, family_kinds, list_findings, refresh_and_wait
from bot.inventory.refresh import refresher_for
from bot.inventory.reports import savings_report
from bot.services import Services
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, services_for, svc  # noqa: F401

ORPHANS = family_kinds("orphans")


def test_twenty_at_once_cause_one_scan_per_target(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments")
    estate.address("search", region="eu-west-1")
    start = threading.Barrier(20)
    listings: list[Listing] = []

    def ask() -> None:
        start.wait()
        listings.append(list_findings(svc, kinds=ORPHANS, scope=ScanFilter()))

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for listing in listings:
        for future in listing.pending:
            future.result(timeout=60)
    targets = len(ORPHANS) * 2  # two regions, one account
    assert refresher_for(svc).scans == targets
    fresh = list_findings(svc, kinds=ORPHANS, scope=ScanFilter())
    assert not fresh.refreshing and fresh.as_of == svc.now()
    assert next((f.resource_id, f.monthly_cost) for f in fresh.findings) == (
        volume,
        Decimal("10.00"),
    )
    assert {f.region for f in fresh.findings} == {"us-east-1", "eu-west-1"}
    assert refresher_for(svc).scans == targets  # answered from the store: no new scan


def test_stale_listing_answers_then_updates(svc: Services, estate: Estate, clock: Clock) -> None:
    refresh_and_wait(svc, kinds=[*ORPHANS, "rightsizing"], scope=ScanFilter())
    scans = refresher_for(svc).scans
    added = estate.volume(50, "gp3", "payments")
    clock.advance(minutes=16)  # past inventory.max_age_minutes (15)
    listing = list_findings(svc, kinds=[*ORPHANS, "rightsizing"], scope=ScanFilter())
    assert listing.refreshing and added not in [f.resource_id for f in listing.findings]
    landed: list[Listing] = []
    done = threading.Event()
    listing.when_refreshed(lambda new: (landed.append(new), done.set()))
    assert done.wait(60)
    assert added in [f.resource_id for f in landed[0].findings]
    # Only the describe kinds were due: rightsizing reads metrics and refreshes daily.
    assert refresher_for(svc).scans - scans == len(ORPHANS) * 2


def test_a_failing_target_keeps_its_last_good_findings(
    svc: Services, estate: Estate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume = estate.volume(100, "gp2", "payments")
    refresh_and_wait(svc, kinds=["volume"], scope=ScanFilter())
    kind = load_kinds()["volume"]

    def denied(ctx: object) -> object:
        raise RuntimeError("AccessDenied: not authorized to DescribeVolumes")

    monkeypatch.setattr(kind, "scan_target", denied)
    clock.advance(minutes=20)
    listing = refresh_and_wait(svc, kinds=["volume"], scope=ScanFilter(), refresh=True)
    assert [f.resource_id for f in listing.findings] == [volume]
    messages = [f.message for f in listing.failures]
    assert len(messages) == 2  # both regions failed
    assert all("AccessDenied" in m and "20 min old" in m for m in messages)


def test_savings_and_digest_figures_come_from_the_inventory(svc: Services, estate: Estate) -> None:
    estate.volume(300, "gp2", "payments")  # $30.00 waste, $6.00 as a gp3 move
    estate.address("search")  # $3.65
    listing = refresh_and_wait(svc, kinds=sorted(load_kinds()), scope=ScanFilter())
    report = savings_report(listing, ScanFilter())
    assert report.total == Decimal("33.65") and report.overlapping == 1
    from bot.digest.estate import estate_figures

    figures = estate_figures(svc)
    assert figures.savings == report.total and figures.waste == Decimal("33.65")


def test_a_refresh_asked_while_one_runs_joins_it(
    svc: Services, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate.volume(100, "gp2", "payments")
    refresh_and_wait(svc, kinds=["volume"], scope=ScanFilter())
    kind = load_kinds()["volume"]
    real_scan = kind.scan_target
    release = threading.Event()

    def slow(ctx: object) -> object:
        assert release.wait(30)
        return real_scan(ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(kind, "scan_target", slow)
    scans = refresher_for(svc).scans
    clicked = list_findings(svc, kinds=["volume"], scope=ScanFilter(), refresh=True)
    again = list_findings(svc, kinds=["volume"], scope=ScanFilter(), refresh=True)
    assert clicked.refreshing and again.refreshing
    assert [id(f) for f in again.pending] == [id(f) for f in clicked.pending]  # the same scans
    release.set()
    assert {f.result(timeout=60) for f in clicked.pending} == {"scanned"}
    assert refresher_for(svc).scans - scans == 2  # one per region, not one per click


def test_replicas_share_the_scan_work(
    tmp_path: Path, database_url: str, aws: object, estate: Estate, clock: Clock
) -> None:
    replicas = 2
    volume = estate.volume(100, "gp2", "payments")
    built = []
    for n in range(replicas):  # each its own process state: Services, pool and claim owner
        folder = tmp_path / f"replica{n}"
        folder.mkdir()
        one = services_for(folder, database_url)
        one.now = clock
        built.append(one)
    start = threading.Barrier(replicas * 5)
    listings: list[Listing] = []

    def ask(one: Services) -> None:
        start.wait()
        listings.append(refresh_and_wait(one, kinds=ORPHANS, scope=ScanFilter()))

    threads = [threading.Thread(target=ask, args=(one,)) for one in built for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        targets = len(ORPHANS) * 2  # two regions, one account
        assert sum(refresher_for(one).scans for one in built) == targets
        assert len(listings) == replicas * 5
        assert all(volume in [f.resource_id for f in got.findings] for got in listings)
    finally:
        for one in built:
            refresher_for(one).shutdown()
            one.db.dispose()


def test_the_inventory_job_keeps_each_kind_on_its_own_period(
    svc: Services, estate: Estate, clock: Clock
) -> None:
    from jobs.runner import run_job

    estate.volume(100, "gp2", "payments")
    kinds = load_kinds()
    targets = len(kinds) * 2  # two regions, one account
    metric_kinds = sum(1 for k in kinds.values() if k.refresh == "metrics")
    assert metric_kinds >= 3  # rightsizing, bucket sizes, ECS reservation
    first = run_job("inventory", svc)
    assert first.status == "ok", first.detail
    assert first.detail.startswith(f"{targets} target(s): {targets} scanned, 0 failed")
    assert refresher_for(svc).scans == targets
    again = run_job("inventory", svc)
    assert again.detail.endswith(f"{targets} still fresh")
    clock.advance(minutes=31)  # past the describe kinds' 15 minutes, not the metrics' day
    later = run_job("inventory", svc)
    due = (len(kinds) - metric_kinds) * 2
    assert later.detail.startswith(f"{targets} target(s): {due} scanned"), later.detail
    assert refresher_for(svc).scans == targets + due
