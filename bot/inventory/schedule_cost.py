"""`finops-bot jobs`: the projected monthly API cost of the inventory schedule, from the
resources counted in the stored inventory (and, for scale, at 50,000 instances)."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings, load_config
from bot.findings.scope import ScanFilter
from bot.inventory import store
from bot.inventory.costs import describe_costs, projected_costs
from bot.inventory.listing import all_kinds, build_listing, target_keys
from bot.services import build_services

EXAMPLE_INSTANCES = 50_000


def job_minutes(line: str | None) -> int:
    """The inventory job's interval in minutes (30 built in; a cron line: its gap)."""
    if line is None:
        return 30
    if line == "off":
        return 24 * 60
    trigger = CronTrigger.from_crontab(line, timezone="UTC")
    first = trigger.get_next_fire_time(None, _epoch())
    second = trigger.get_next_fire_time(first, first) if first else None
    if first is None or second is None or second == first:
        return 30
    return max(1, int((second - first).total_seconds() // 60))


def _epoch() -> datetime:
    return datetime(2026, 1, 5, tzinfo=UTC)


def print_projected_cost(settings: Settings) -> None:
    """Print the projected GetMetricData cost of the configured refresh periods."""
    config = load_config(settings.config_path)
    minutes = job_minutes(config.schedule.for_job("inventory"))
    counts: dict[str, int] = {}
    try:
        services = build_services(settings)
        keys = target_keys(services, all_kinds(), ScanFilter())
        stored = store.read(services.db, keys)
        listing = build_listing(services, list(stored.values()), ScanFilter())
        counts["rightsizing"] = listing.extra_total("rightsizing", "instances")
        counts["ecs"] = sum(1 for f in listing.findings if f.kind.startswith("ecs")) + len(
            listing.extras("ecs", "no_data")
        )
        counts["s3-lifecycle"] = sum(1 for f in listing.findings if f.kind == "s3-lifecycle")
    except Exception as exc:  # no database yet: print the schedule's cost per resource
        print(f"(inventory not readable: {exc})")
    print(f"\nProjected monthly API cost of the inventory (job every {minutes} min):")
    for line in describe_costs(projected_costs(config, counts, job_minutes=minutes)):
        print(line)
    example = projected_costs(config, {"rightsizing": EXAMPLE_INSTANCES}, job_minutes=minutes)
    scaled = next((c for c in example if c.kind == "rightsizing"), None)
    if scaled is not None:
        print(
            f"  (at {EXAMPLE_INSTANCES:,} instances rightsizing alone would cost "
            f"${scaled.cost:,.2f}/month on this schedule)"
        )
