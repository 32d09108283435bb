"""`/tags`, the digest's tagging figures and the budget ladder's instances, from the
inventory: the `tags` kind's stored resources, checked against `tags.required` as they
are read (so a changed requirement needs no rescan). Only the month's untagged spend
comes from elsewhere: cost data, as before."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import FinopsConfig
from bot.findings.scope import ScanFailure, ScanFilter
from bot.inventory.listing import Listing, refresh_and_wait
from bot.inventory.partial import KEPT
from bot.services import Services
from bot.tags.compliance import Checked, TagReport, check, spend_month, untagged_spend
from bot.tags.kind import FAILURES, KIND, as_resource

#: The inventory kinds `/tags` reads.
TAG_KINDS = [KIND]


def tag_scope(scope: ScanFilter) -> ScanFilter:
    """What `/tags` reads for a scope: every team's resources (the report filters teams
    itself, on the tag's value in any case, so untagged ones still count as "no team")."""
    return ScanFilter(region=scope.region)


def tag_failures(listing: Listing) -> list[ScanFailure]:
    """Targets whose scan failed (their last good resources still counted) and, inside
    the others, the resource types that could not be listed."""
    failures = [f for f in listing.failures if f.kind == KIND]
    for scan in listing.scans:
        if scan.key.kind != KIND:
            continue
        kept = scan.extras.get(KEPT, {})
        for resource_type, message in scan.extras.get(FAILURES, []):
            text = str(message)
            if resource_type in kept:  # its last good resources are still counted
                text += f"; its resources as of {_when(kept[resource_type])} are shown"
            failures.append(
                ScanFailure(scan.key.account, scan.key.region, str(resource_type), text)
            )
    return failures


def _when(iso: object) -> str:
    try:
        return datetime.fromisoformat(str(iso)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(iso)[:40]


def checked_listing(listing: Listing, config: FinopsConfig, *, team: str | None) -> list[Checked]:
    """Every stored resource (only `team`'s when given), checked."""
    checked = [check(as_resource(f), config) for f in listing.findings if f.kind == KIND]
    if team is not None:
        checked = [c for c in checked if c.team.lower() == team.lower()]
    return checked


def tags_report(services: Services, listing: Listing, *, team: str | None = None) -> TagReport:
    """The `/tags` report of a listing of the `tags` kind, with the month's untagged spend."""
    config = services.config
    amount, currency, note = untagged_spend(services)
    return TagReport(
        required=list(config.tags.required),
        checked=checked_listing(listing, config, team=team),
        failures=tag_failures(listing),
        team=team,
        untagged_spend=amount,
        currency=currency,
        spend_note=note,
        spend_period=spend_month(services.now().date())[2],
    )


def tag_listing(services: Services, *, refresh: bool = False) -> Listing:
    """The stored `tags` listing of every target, refreshed first where due (waits)."""
    return refresh_and_wait(services, kinds=TAG_KINDS, scope=ScanFilter(), refresh=refresh)


def tag_report(services: Services, *, team: str | None = None) -> TagReport:
    """Compliance across the estate (only `team`'s resources when given) and untagged
    spend, from the inventory (refreshed first where due)."""
    return tags_report(services, tag_listing(services), team=team)
