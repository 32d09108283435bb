"""Block Kit for `/finops status`: the admin's full view and everyone else's short one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.observability.status import StatusReport
from bot.render.common import Blocks, context, header, section

_API_NAMES = {
    "cost_explorer": ("Cost Explorer", "requests"),
    "cloudwatch": ("CloudWatch GetMetricData", "metrics"),
    "athena": ("Athena", "bytes scanned"),
}
_BREAKER_WORDS = {
    "closed": "ok",
    "half-open": "recovering (half-open)",
    "open": ":red_circle: open",
}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def status_message(report: StatusReport) -> dict[str, Any]:
    """The admin view: API spend, cache, breakers, jobs, sections, database, version."""
    spend = [
        f"• {_API_NAMES[s.api][0]}: ${s.dollars:,.2f} "
        f"({s.requests:,} call(s), {s.units:,} {_API_NAMES[s.api][1]})"
        for s in report.spend
    ]
    blocks: Blocks = [
        header(f"finops-bot status — {report.month}"),
        section(
            f"*What the bot itself cost this month: ${report.total_dollars:,.2f}*\n"
            + "\n".join(spend)
            + f"\nCost Explorer requests saved by the cache: {report.requests_saved:,}"
        ),
        section(
            "*Dependencies*\n"
            + "\n".join(
                f"• {name.replace('_', ' ')}: {_BREAKER_WORDS.get(state, state)}"
                for name, state in sorted(report.breakers.items())
            )
        ),
        section("*Jobs*\n" + "\n".join(_job_line(j) for j in report.jobs)),
    ]
    for extra in report.sections:
        blocks.append(section(f"*{extra.title}*\n" + "\n".join(extra.lines)))
    schema = report.schema or "none"
    behind = "" if report.schema == report.head else f" — :warning: code expects {report.head}"
    blocks.append(
        context(f"finops-bot {report.version} · database {report.database} at {schema}{behind}")
    )
    return {"text": f"finops-bot status: ${report.total_dollars:,.2f} this month", "blocks": blocks}


def _job_line(job: Any) -> str:
    if job.last_status is None:
        return f"• `{job.job}`: never run"
    mark = {"ok": ":white_check_mark:", "failed": ":x:"}.get(job.last_status, "•")
    return (
        f"{mark} `{job.job}`: {job.last_status} at {_when(job.last_run)}"
        f" (last success {_when(job.last_success)})"
    )


def short_status_message(report: StatusReport) -> dict[str, Any]:
    """Everyone else's view: version and whether things work, without the figures."""
    healthy = all(s == "closed" for s in report.breakers.values()) and not any(
        j.last_status == "failed" for j in report.jobs
    )
    state = "all systems normal" if healthy else "some parts are degraded; the admins can see why"
    return {
        "text": f"finops-bot {report.version}: {state}",
        "blocks": [
            section(f"finops-bot {report.version}: {state}."),
            context("The full status (API spend, jobs, database) is for the bot's admins."),
        ],
    }
