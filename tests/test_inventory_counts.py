"""Counts kept beside the stored findings: `/rightsize team=X` counts X's instances only."""

from __future__ import annotations

from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing
from bot.inventory.reports import rightsize_report
from bot.inventory.store import StoredScan, TargetKey


def _scan(region: str, extras: dict[str, object]) -> StoredScan:
    return StoredScan(key=TargetKey("current", region, "rightsizing"), extras=extras)


def test_running_instances_are_counted_for_the_team_asked_about() -> None:
    listing = Listing(
        scans=[
            _scan("us-east-1", {"instances": {"payments": 3, "search": 40, "": 1}}),
            _scan("eu-west-1", {"instances": {"payments": 2}}),
            _scan("us-west-2", {"instances": 5}),  # stored before counts were per team
        ]
    )
    assert listing.extra_total("rightsizing", "instances") == 51
    assert listing.extra_total("rightsizing", "instances", team="payments") == 10
    assert rightsize_report(listing, ScanFilter(team="payments")).instances == 10
    assert rightsize_report(listing, ScanFilter()).instances == 51
