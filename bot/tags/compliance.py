"""Tagging compliance: % of resources carrying every required tag, overall and per team,
what each non-compliant resource misses, and this month's untagged spend."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bot.aws import describe_aws_error
from bot.config import FinopsConfig
from bot.cost.periods import add_months, month_start
from bot.cost.service import CostUnavailable, daily_costs
from bot.findings.scope import ScanFailure
from bot.services import Services
from bot.tags.inventory import Inventory, TaggedResource
from storage import audit, outbox

log = logging.getLogger(__name__)
NO_TEAM = ""  # the team of resources without a team tag ("no team")


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in % with one decimal (None when `whole` is 0)."""
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


@dataclass(frozen=True)
class Checked:
    """A resource with its team, owner and the required tags it lacks."""

    resource: TaggedResource
    team: str  # NO_TEAM when there is no team tag
    owner: str | None
    missing: tuple[str, ...]

    @property
    def compliant(self) -> bool:
        """Whether every required tag is there (with a non-empty value)."""
        return not self.missing


#: Where a resource stands in the one order of the non-compliant list (missing most first).
PageKey = tuple[int, str, str, str, str]


def missing_key(checked: Checked) -> PageKey:
    """The sort key of `/tags`' list: most tags missing first, then team, id, account,
    region (unique per resource, so a page can start strictly after the previous one)."""
    r = checked.resource
    return (-len(checked.missing), checked.team, r.resource_id, r.account, r.region)


@dataclass(frozen=True)
class TeamCompliance:
    """One team's resources and how many carry every required tag."""

    team: str
    total: int
    compliant: int

    @property
    def pct(self) -> Decimal | None:
        """Compliant share in %."""
        return percent(self.compliant, self.total)


@dataclass
class TagReport:
    """Everything `/tags` (and the digest) says about tagging."""

    required: list[str]
    checked: list[Checked]
    failures: list[ScanFailure] = field(default_factory=list)
    team: str | None = None  # the filter asked for
    untagged_spend: Decimal | None = None  # this month so far, no team tag
    currency: str = "USD"
    spend_note: str | None = None
    #: What the untagged spend covers (`this month`, on the 1st last month).
    spend_period: str = "this month"

    @property
    def compliant(self) -> int:
        """How many resources carry every required tag."""
        return sum(c.compliant for c in self.checked)

    @property
    def pct(self) -> Decimal | None:
        """Overall compliance in %."""
        return percent(self.compliant, len(self.checked))

    @property
    def teams(self) -> list[TeamCompliance]:
        """Per team, worst first; "no team" last."""
        return team_compliance(self.checked)

    @property
    def missing(self) -> list[Checked]:
        """The non-compliant resources, the ones missing most first."""
        return sorted((c for c in self.checked if not c.compliant), key=missing_key)

    def missing_after(self, key: PageKey | None) -> list[Checked]:
        """The non-compliant resources that come after `key` in the list's order (all of
        them for None): a page never repeats what an earlier page showed, even if the
        estate changed in between."""
        return [c for c in self.missing if key is None or missing_key(c) > key]

    @property
    def missing_counts(self) -> dict[str, int]:
        """How many resources miss each required tag."""
        counts = {key: 0 for key in self.required}
        for c in self.checked:
            for key in c.missing:
                counts[key] += 1
        return counts


def check(resource: TaggedResource, config: FinopsConfig) -> Checked:
    """Compare a resource's tags with `tags.required` (blank values count as missing)."""
    keys = config.tags
    present = {k for k, v in resource.tags.items() if v.strip()}
    return Checked(
        resource=resource,
        team=resource.tags.get(keys.team, "").strip() or NO_TEAM,
        owner=resource.tags.get(keys.owner, "").strip() or None,
        missing=tuple(k for k in keys.required if k not in present),
    )


def team_compliance(checked: list[Checked]) -> list[TeamCompliance]:
    """Per-team totals, worst compliance first, "no team" last."""
    total: dict[str, int] = defaultdict(int)
    good: dict[str, int] = defaultdict(int)
    for c in checked:
        total[c.team] += 1
        good[c.team] += c.compliant
    rows = [TeamCompliance(t, total[t], good[t]) for t in total]
    return sorted(rows, key=lambda r: (r.team == NO_TEAM, r.pct or Decimal(0), r.team))


def checked_inventory(inventory: Inventory, config: FinopsConfig) -> list[Checked]:
    """Every listed resource, checked."""
    return [check(r, config) for r in inventory.resources]


def spend_month(today: date) -> tuple[date, date, str]:
    """The days untagged spend is summed over: this month so far, or on the 1st (no full
    day yet) last month, with its words (`this month`, `November 2026 (final)`)."""
    start = month_start(today)
    if start == today:
        previous = add_months(today, -1)
        return previous, start, f"{previous:%B %Y} (final; {today:%B} has no full day yet)"
    return start, today, "this month"


def untagged_spend(services: Services) -> tuple[Decimal | None, str, str | None]:
    """This month's spend without a team tag so far (last month's on the 1st): (amount,
    currency, note)."""
    today = services.now().date()
    start, end, _ = spend_month(today)
    try:
        data = daily_costs(services, group=("team", "service"), start=start, end=end)
    except CostUnavailable as exc:
        return None, "USD", str(exc)
    except Exception as exc:  # the compliance figures still stand without the spend
        log.warning("untagged spend unavailable: %s", exc)
        return None, "USD", f"Untagged spend unavailable: {describe_aws_error(exc)}"
    amount = sum((row[3] for row in data.rows if row[1] == NO_TEAM), Decimal("0.00"))
    note = f"Spend may be stale: {data.problem}." if data.problem else None
    return amount, data.currency, note


def queue_owner_request(
    services: Services,
    *,
    key: str,
    actor: str,
    owner: str,
    resource_id: str,
    missing: list[str],
    message: dict[str, Any],
) -> None:
    """ "Ask owner to fix": audit the ask and queue the DM to the owner in one transaction
    (the outbox key makes a Slack retry of the click ask once)."""
    with services.db.session() as session:
        audit.record(
            session,
            actor=actor,
            action="tags.ask-owner",
            subject=resource_id,
            owner=owner,
            missing=missing,
        )
        outbox.message(session, key=key, purpose="dm", channel=owner, message=message)
