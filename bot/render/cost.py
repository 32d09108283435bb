"""Block Kit for `/cost` answers."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from bot.cost.periods import PERIOD_FORMS
from bot.cost.query import BY_CHOICES, CostQuery
from bot.cost.report import CostReport, Forecast
from bot.payloads import CostShareButton
from bot.render.common import Blocks, context, fallback, header, section
from bot.render.text import code, esc, mention_user

_CENT = Decimal("0.01")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


class CostAction(StrEnum):
    """Action ids of `/cost` buttons."""

    SHARE = "cost_share"


def money(amount: Decimal, currency: str = "USD") -> str:
    """`$12,345.67` (rounded half up to the cent); other currencies as `12,345.67 CHF`."""
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    digits = f"{abs(cents):,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def _pct(value: Decimal) -> str:
    return f"{value:+,.1f} %"


def _title(report: CostReport) -> str:
    scope = esc(report.query.team or "all teams")
    if report.service_name:
        scope += f" · {esc(report.service_name)}"
    if report.query.account:
        scope += f" · account {esc(report.query.account)}"
    if report.query.region:
        scope += f" · {esc(report.query.region)}"
    return f"AWS cost: {scope} · {report.period.label}"


def _summary(report: CostReport) -> str:
    currency = report.currency
    text = f"*{money(report.total, currency)}* for {report.period.describe()}"
    if report.previous is not None and report.change is not None:
        assert report.previous_total is not None
        arrow = ":arrow_up_small:" if report.change > 0 else ":arrow_down_small:"
        if report.change == 0:
            arrow = ":left_right_arrow:"
        pct = f" ({_pct(report.change_pct)})" if report.change_pct is not None else ""
        sign = "+" if report.change > 0 else ""
        text += (
            f"\n{arrow} {sign}{money(report.change, currency)}{pct} vs {report.previous.label} "
            f"({report.previous.describe()}: {money(report.previous_total, currency)})"
        )
    return text


def _forecast(forecast: Forecast, report: CostReport) -> str | None:
    currency = report.currency
    month = f"{report.forecast_month or report.period.start:%B}"
    if forecast.month_end is None:
        return f":crystal_ball: {esc(forecast.note)}" if forecast.note else None
    amount = money(forecast.month_end, currency)
    text = f":crystal_ball: Forecast for the end of {month}: *{amount}*"
    if forecast.budget is not None and forecast.budget_use is not None:
        flag = " :warning:" if forecast.budget_use > 100 else ""
        text += (
            f"\nBudget {money(forecast.budget, currency)}: forecast uses "
            f"*{forecast.budget_use:,.1f} %*{flag}"
        )
    if forecast.note:
        text += f"\n_{esc(forecast.note)}_"
    return text


def _lines(report: CostReport) -> str:
    if not report.lines:
        return "_No spend in this period._"
    heading = f"*By {esc(report.dimension)}*"
    rows = []
    for line in report.lines:
        share = f" · {line.share:,.1f} %" if line.share is not None else ""
        label = f"_{esc(line.label)}_" if line.kind != "value" else esc(line.label)
        rows.append(f"• {label}: *{money(line.amount, report.currency)}*{share}")
    return heading + "\n" + "\n".join(rows)


def _footer(report: CostReport, command: str) -> list[str]:
    notes = [esc(n) for n in report.notes]
    if report.provisional_from is not None:
        notes.append(
            f":hourglass: Costs from {report.provisional_from} on are still estimated by "
            "Cost Explorer (provisional)."
        )
    if report.problem:
        when = _as_of(report.data_as_of)
        notes.append(f":warning: {esc(report.problem)}. Showing cached data as of {when}.")
    if report.pending:
        when = _as_of(report.data_as_of)
        notes.append(
            f":hourglass_flowing_sand: Cached data as of {when}; still fetching — "
            "this answer will update."
        )
    asked = report.query.command_text()
    typed = command + (" " + asked if asked else "")
    notes.append(f"{code(typed)} · {esc(report.metric)}, {esc(report.source)}")
    return notes


def _plain(text: str) -> str:
    """Export text (provider names) shown as text, never as mrkdwn links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _as_of(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "an earlier fetch"


def cost_message(
    report: CostReport,
    *,
    command: str,
    chart_file_id: str | None = None,
    shareable: bool = True,
    shared_by: str | None = None,
) -> dict[str, Any]:
    """The answer: total and change, forecast, breakdown, chart, notes, Share button."""
    blocks: Blocks = [header(_title(report)), section(_summary(report))]
    if report.forecast is not None:
        text = _forecast(report.forecast, report)
        if text:
            blocks.append(section(text))
    blocks.append(section(_lines(report)))
    if report.providers:
        parts = [
            f"{_plain(line.label)} {money(line.amount, report.currency)}"
            for line in report.providers
        ]
        blocks.append(context("Providers: " + " · ".join(parts)))
    if chart_file_id:
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": chart_file_id},
                "alt_text": f"Daily cost, {report.period.describe()}",
            }
        )
    notes = _footer(report, command)
    if shared_by:
        notes.insert(0, f"Shared by {mention_user(shared_by)}")
    blocks.append(context("\n".join(notes)))
    if shareable:
        value = CostShareButton(q=report.query.to_json(), f=chart_file_id or "").encode()
        blocks.append(
            {
                "type": "actions",
                "block_id": "cost_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": CostAction.SHARE,
                        "text": {"type": "plain_text", "text": "Share in channel"},
                        "value": value,
                    }
                ],
            }
        )
    text = f"{_title(report)}: {money(report.total, report.currency)}"
    return {"text": fallback(text), "blocks": blocks}


def share_value(value: str | CostShareButton) -> tuple[CostQuery, str | None]:
    """The question and chart file id a Share button carries."""
    data = value if isinstance(value, CostShareButton) else CostShareButton.decode(value)
    return CostQuery.from_json(dict(data.q)), (data.f or None)


def cost_help(command: str, usage: str, summary: str, teams: list[str]) -> dict[str, Any]:
    """The answer to `/cost help`."""
    periods = ", ".join(f"`{p}`" for p in PERIOD_FORMS)
    groupings = ", ".join(f"`{b}`" for b in BY_CHOICES)
    team_list = ", ".join(f"`{t}`" for t in teams) or "none configured"
    blocks: Blocks = [
        header(f"{command}: {summary}"),
        section(f"`{usage}`"),
        section(
            f"*period* (default `mtd`): {periods}\n"
            f"*by*: {groupings} (default: `service` for a team, `team` for everything)\n"
            f"*team*: {team_list} (without it: everything, spend without the team tag included)\n"
            "*service*: a short name (`ec2`, `s3`, `rds`…) or part of the Cost Explorer name\n"
            "*account*: a 12-digit id · *region*: like `us-east-1`, or `global`"
        ),
        context(
            "Examples: `/cost team=payments` · `/cost by=team period=last-month` · "
            "`/cost team=search period=30d by=region`"
        ),
    ]
    return {"text": f"{command} help", "blocks": blocks}
