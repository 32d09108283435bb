"""Findings for scripts: `finops-bot scan orphans|savings --format json|table`."""

from __future__ import annotations

import json
from typing import Any

from bot.findings.prices import format_money
from bot.findings.scope import ScanResult
from bot.orphans.waste import open_waste


def finding_rows(result: ScanResult) -> list[dict[str, Any]]:
    """One JSON object per finding (money as a string with two decimals)."""
    return [
        {
            "resource_id": f.resource_id,
            "resource_type": f.resource_type,
            "kind": f.kind,
            "region": f.region,
            "account": f.account,
            "name": f.name,
            "size": f.size,
            "age_days": f.age_days,
            "team": f.team,
            "owner": f.owner,
            "monthly_cost": str(f.monthly_cost),
            "approximate": f.approximate,
            "protected": f.protected,
            "cleanup": f.action,
            "reason": f.reason,
            "tags": f.tags,
        }
        for f in result.findings
    ]


def as_json(result: ScanResult, sources: dict[str, str] | None = None) -> str:
    """A JSON array of findings (with the command each came from, when `sources` says)."""
    rows = finding_rows(result)
    if sources is not None:
        for row in rows:
            row["source"] = sources.get(row["resource_id"])
    # One finding per line: readable, and written by json's C encoder (`indent` would
    # switch to the pure-Python one, seconds for a large estate).
    return "[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]" if rows else "[]"


#: The NAME column's width in `--format table` (longer names end with "…").
NAME_WIDTH = 28


def short_id(resource_id: str) -> str:
    """A resource id a person reads: an ARN's last part (`app/web/50dc6c49`), ids as they are.
    JSON keeps the full ARN."""
    if not resource_id.startswith("arn:"):
        return resource_id
    resource = resource_id.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    return rest or kind


def _name(name: str, resource_id: str) -> str:
    if not name or name == resource_id:
        return "-"
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def as_table(result: ScanResult) -> str:
    """A plain-text table (short ids, names), the total, and what could not be scanned."""
    header = ("COST/MONTH", "KIND", "REGION", "ACCOUNT", "TEAM", "RESOURCE", "NAME", "SIZE")
    rows = [
        (
            format_money(f.monthly_cost) + ("≈" if f.approximate else ""),
            f.kind + (" (protected)" if f.protected else ""),
            f.region,
            f.account,
            f.team or "-",
            short_id(f.resource_id),
            _name(f.name, f.resource_id),
            f.size,
        )
        for f in result.findings
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    waste = open_waste(result.findings)
    protected = f"; {waste.protected_note()}" if waste.protected_count else ""
    lines.append(
        f"Total: {format_money(waste.amount)}/month in {waste.count} finding(s){protected}"
    )
    lines += [f"NOT SCANNED {f.where} ({f.kind}): {f.message}" for f in result.failures]
    return "\n".join(lines)
