"""`finops-bot status [--format text|json]`."""

from __future__ import annotations

import json

from bot.observability.status import StatusReport, build_status
from bot.services import Services

_UNITS = {"cost_explorer": "requests", "cloudwatch": "metrics", "athena": "bytes scanned"}


def print_status(services: Services, *, fmt: str, job_names: list[str]) -> int:
    """Print the admin status report; exit 0."""
    report = build_status(services, job_names=job_names)
    if fmt == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(status_text(report))
    return 0


def status_text(report: StatusReport) -> str:
    """The report as plain text for a terminal."""
    lines = [f"finops-bot {report.version} — status for {report.month}", ""]
    lines.append(f"API spend this month: ${report.total_dollars:,.2f}")
    for s in report.spend:
        lines.append(
            f"  {s.api:<14} ${s.dollars:>10,.2f}  {s.requests:>8,} call(s)  "
            f"{s.units:,} {_UNITS.get(s.api, 'units')}"
        )
    lines.append(f"  requests saved by the cache: {report.requests_saved:,}")
    lines.append("")
    lines.append("Circuit breakers: " + ", ".join(f"{k} {v}" for k, v in report.breakers.items()))
    lines.append("")
    lines.append("Jobs:")
    for job in report.jobs:
        when = job.last_run.isoformat(timespec="minutes") if job.last_run else "never"
        ok = job.last_success.isoformat(timespec="minutes") if job.last_success else "never"
        lines.append(f"  {job.job:<16} {job.last_status or '-':<8} {when:<26} last ok {ok}")
    for section in report.sections:
        lines.append("")
        lines.append(f"{section.title}:")
        lines.extend(f"  {line}" for line in section.lines)
    lines.append("")
    behind = "" if report.schema == report.head else f" (code expects {report.head})"
    lines.append(f"Database: {report.database} at revision {report.schema}{behind}")
    return "\n".join(lines)
