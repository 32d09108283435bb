"""Block Kit for the weekly digest (the whole digest, or one team's part)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.render.budgets import money, pct
from bot.render.common import MAX_SECTION_TEXT, context, fallback, header, section, truncate
from bot.render.text import esc

if TYPE_CHECKING:
    from bot.digest.report import Digest, TeamWeek


MAX_TEAM_LINES = 20


def _tag_team(team: str) -> str:
    return f"*{esc(team)}*" if team else "_no team_"


def _name(team: str | None) -> str:
    return f"*{esc(team)}*" if team else "_untagged_"


def _change(this: Decimal, last: Decimal) -> str:
    delta = this - last
    sign = "+" if delta >= 0 else "-"
    share = f", {sign}{abs(delta * 100 / last):,.1f} %" if last else ""
    arrow = ":arrow_up:" if delta > 0 else ":arrow_down:" if delta < 0 else ":left_right_arrow:"
    return f"{arrow} {sign}{money(abs(delta))}{share}"


def _team_line(row: TeamWeek, currency: str) -> str:
    change = _change(row.this_week, row.last_week)
    return (
        f"{_name(row.team)}: {money(row.this_week, currency)} "
        f"(last week {money(row.last_week, currency)}; {change})"
    )


def digest_message(
    digest: Digest, *, team: str | None = None, chart_file_id: str | None = None
) -> dict[str, Any]:
    """The digest; with `team`, only that team's part (for its own channel)."""
    cur = digest.currency
    scope = f" for {esc(team)}" if team else ""
    title = f"Weekly FinOps digest{scope}, {digest.week}"
    teams = [r for r in digest.teams if team is None or r.team == team]
    budgets = [b for b in digest.budgets if team is None or b.team == team]
    movers = [m for m in digest.movers if team is None or m.team == team]
    anomalies = [a for a in digest.anomalies if team is None or a.team == team]
    period = f"{digest.start:%a %d %b} to {digest.end - timedelta(days=1):%a %d %b}"
    blocks: list[dict[str, Any]] = [
        header(title),
        context(f"Spend of {period} vs the 7 days before."),
    ]
    total_this = sum((r.this_week for r in teams), Decimal(0))
    total_last = sum((r.last_week for r in teams), Decimal(0))
    lines = [f"*Spend this week:* {money(total_this, cur)} ({_change(total_this, total_last)})"]
    lines += [f"• {_team_line(r, cur)}" for r in teams]
    blocks.append(section(truncate("\n".join(lines), MAX_SECTION_TEXT)))
    basis = sorted({b.forecast_basis for b in budgets if b.forecast_basis})
    month_end = ", ".join(esc(b) for b in basis) or "no forecast yet"
    budget_lines = [f"*Month to date vs budget* (month end by {month_end}):"]
    for b in budgets:
        if b.last_month is not None:
            of = f" of {money(b.budget.amount, cur)} ({pct(b.last_month_pct)})"
            budget_lines.append(
                f"• {_name(b.team)}: {b.last_month_name} final {money(b.last_month, cur)}"
                f"{of if b.budget.amount is not None else ''}; this month's forecast "
                f"{money(b.forecast, cur)} (the new month has no full day yet)"
            )
        elif b.budget.amount is None:
            budget_lines.append(f"• {_name(b.team)}: {money(b.month_to_date, cur)}, no budget")
        else:
            budget_lines.append(
                f"• {_name(b.team)}: {money(b.month_to_date, cur)} of "
                f"{money(b.budget.amount, cur)} ({pct(b.use_pct)}); month end "
                f"{money(b.forecast, cur)} ({pct(b.forecast_pct)})"
            )
    blocks.append(section(truncate("\n".join(budget_lines), MAX_SECTION_TEXT)))
    mover_lines = (
        ["*Top movers* (team x service):"]
        + [
            f"• {_name(m.team)} · {esc(m.service)}: {money(m.this_week, cur)} "
            f"({_change(m.this_week, m.last_week)})"
            for m in movers
        ]
        if movers
        else ["*Top movers:* nothing moved."]
    )
    blocks.append(section(truncate("\n".join(mover_lines), MAX_SECTION_TEXT)))
    anomaly_lines = [f"*Anomalies this week:* {len(anomalies)}"] + [
        f"• {_name(a.team)} · {esc(a.service)}: {money(a.actual, cur)} vs "
        f"{money(a.expected, cur)} expected, impact {money(a.impact, cur)} ({a.status})"
        for a in anomalies[:10]
    ]
    blocks.append(section(truncate("\n".join(anomaly_lines), MAX_SECTION_TEXT)))
    if team is None:
        blocks.append(
            section(
                f"*Savings realized:* {money(digest.savings, cur)}/month from "
                f"{digest.executed} executed cleanup(s) this week.\n"
                f"*Open cleanup requests:* {digest.open_requests} "
                f"({money(digest.open_savings, cur)}/month waiting for a decision)."
            )
        )
        estate = digest.estate
        waste = (
            f"{money(estate.waste, cur)}/month in {estate.waste_items} finding(s)"
            + (f", {estate.waste_protected}" if estate.waste_protected else "")
            + " (`/orphans`)"
            if estate.waste is not None
            else "not scanned"
        )
        if estate.savings is not None:
            parts = " · ".join(
                f"{esc(name)} {money(amount, cur)}"
                for name, amount in estate.savings_by_source.items()
            )
            waste += (
                f"\n*Open recommendations:* {money(estate.savings, cur)}/month in "
                f"{estate.savings_items}" + (f" ({parts})" if parts else "") + " (`/savings`)"
            )
        compliance = (
            f"{pct(estate.compliance_pct)} of {estate.counted} resources carry "
            "every required tag (`/tags`)"
            if estate.compliance_pct is not None
            else "no data"
        )
        tagging = "".join(
            f"\n• {_tag_team(t.team)}: {pct(t.pct)} ({t.compliant} of {t.total})"
            for t in estate.teams[:MAX_TEAM_LINES]
        )
        blocks.append(
            section(
                truncate(
                    f"*Open waste:* {waste}\n*Tagging compliance:* {compliance}{tagging}",
                    MAX_SECTION_TEXT,
                )
            )
        )
    else:
        own = next((t for t in digest.estate.teams if t.team == team), None)
        if own is not None:
            blocks.append(
                section(
                    f"*Tagging compliance:* {pct(own.pct)} of {own.total} "
                    "resource(s) carry every required tag (`/tags team="
                    f"{esc(team)}`)."
                )
            )
    if chart_file_id:
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": chart_file_id},
                "alt_text": "Daily cost, last 14 days",
            }
        )
    notes = [esc(n) for n in digest.notes] + (
        [f"Some days may be stale: {esc(digest.problem)}."] if digest.problem else []
    )
    if notes:
        blocks.append(context(" ".join(notes)))
    return {"text": fallback(title), "blocks": blocks}
