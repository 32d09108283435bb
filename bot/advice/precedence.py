"""One resource, one recommendation, everywhere: waste first (delete what nobody uses),
then stopping or downsizing, then the largest saving; the others are alternatives.

`/savings`, the digest and the listings all decide through `one_per_resource`, so a
volume `/orphans` proposes to delete is not also a gp3 candidate elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.orphans.model import Finding

#: Sources in the order they win for one resource (others rank after these, equally).
PRECEDENCE = ("orphans", "rightsizing")

ResourceKey = tuple[str, str, str]


def resource_key(finding: Finding) -> ResourceKey:
    """(account, region, resource id): one resource."""
    return (finding.account, finding.region, finding.resource_id)


def _rank(source: str) -> int:
    return PRECEDENCE.index(source) if source in PRECEDENCE else len(PRECEDENCE)


@dataclass
class Choice:
    """The recommendation kept for a resource, and the ones it replaced."""

    source: str
    finding: Finding
    alternatives: list[tuple[str, Finding]] = field(default_factory=list)


def one_per_resource(candidates: Iterable[tuple[str, Finding]]) -> dict[ResourceKey, Choice]:
    """Per resource, the recommendation to show: the source that ranks first (waste), then
    the largest saving; every other one becomes an alternative (largest first)."""
    grouped: dict[ResourceKey, list[tuple[str, Finding]]] = {}
    for source, finding in candidates:
        grouped.setdefault(resource_key(finding), []).append((source, finding))
    chosen: dict[ResourceKey, Choice] = {}
    for key, options in grouped.items():
        ordered = sorted(options, key=lambda o: (_rank(o[0]), -o[1].monthly_cost, o[0], o[1].kind))
        (source, finding), rest = ordered[0], ordered[1:]
        chosen[key] = Choice(
            source, finding, sorted(rest, key=lambda o: (-o[1].monthly_cost, o[0]))
        )
    return chosen


def demote(finding: Finding, *, instead: str, command: str) -> Finding:
    """Make `finding` an alternative only: no button, and the reason says what is
    recommended instead and where."""
    finding.action = None
    finding.details["superseded_by"] = command
    finding.reason = f"{finding.reason}; {instead}, so this is only an alternative"
    return finding


#: Where each source's recommendation lives, for "… proposes …, so this is an alternative".
COMMANDS = {"orphans": "/orphans", "rightsizing": "/rightsize"}


def defer_to_stronger(
    found: Iterable[Finding], *, source: str, stronger: Iterable[tuple[str, Finding]]
) -> list[Finding]:
    """Demote every finding of `source` whose resource gets a stronger recommendation
    elsewhere (waste, then stop/downsize: `PRECEDENCE`), naming that command; the others
    are returned unchanged. One resource, one recommendation, as in `/savings`."""
    mine = list(found)
    chosen = one_per_resource([*stronger, *((source, f) for f in mine)])
    for finding in mine:
        choice = chosen[resource_key(finding)]
        if choice.source != source:
            command = COMMANDS.get(choice.source, choice.source)
            what = choice.finding.reason.split(";")[0].strip() or "another change"
            demote(finding, instead=f"`{command}` recommends: {what}", command=command)
    return mine


def total_saving(findings: Iterable[Finding]) -> Decimal:
    """Monthly saving of the findings that are recommendations (not protected, not
    demoted to an alternative)."""
    return sum(
        (f.monthly_cost for f in findings if not f.protected and "superseded_by" not in f.details),
        Decimal("0.00"),
    )
