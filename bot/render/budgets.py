"""Block Kit for budgets: the `/budget` table, ladder alerts and the forecast warning."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.formatting import money, pct
from bot.render.common import MAX_BLOCKS, context, fallback, header, section
from bot.render.text import esc

if TYPE_CHECKING:
    from bot.budgets.status import BudgetStatus


def day(value: date) -> str:
    """`Sun 29 Nov`."""
    return value.strftime("%a %d %b")


def _line(status: BudgetStatus) -> str:
    budget = status.budget
    if status.last_month is not None:
        return _first_of_month_line(status)
    if budget.amount is None:
        return (
            f"*{esc(status.team)}* · no budget (set one with `/budget set team={esc(status.team)} "
            f"amount=N`) · month to date {money(status.month_to_date, status.currency)} · "
            f"forecast {money(status.forecast, status.currency)}"
        )
    source = " (set in Slack)" if budget.source == "slack" else ""
    text = (
        f"*{esc(status.team)}* · budget {money(budget.amount, status.currency)}{source}\n"
        f"month to date {money(status.month_to_date, status.currency)} "
        f"(*{pct(status.use_pct)}*) · forecast {money(status.forecast, status.currency)} "
        f"({pct(status.forecast_pct)})"
    )
    crossing = status.crossing_date
    if crossing is not None:
        text += f"\n:warning: at this pace it goes over budget on *{day(crossing)}*"
    return text


def _first_of_month_line(status: BudgetStatus) -> str:
    """On the 1st: last month's final result, then this month's forecast."""
    amount, cur = status.budget.amount, status.currency
    if amount is None:
        budget = f"no budget (set one with `/budget set team={status.team} amount=N`)"
        used = ""
    else:
        budget = f"budget {money(amount, cur)}" + (
            " (set in Slack)" if status.budget.source == "slack" else ""
        )
        used = f" (*{pct(status.last_month_pct)}*)"
    forecast = f"this month's forecast {money(status.forecast, cur)}"
    if amount is not None:
        forecast += f" ({pct(status.forecast_pct)})"
    return (
        f"*{status.team}* · {budget}\n"
        f"{status.last_month_name}: {money(status.last_month, cur)}{used} · {forecast}"
    )


def budget_table(statuses: Sequence[BudgetStatus]) -> dict[str, Any]:
    """`/budget`: every team's budget, spend so far, forecast and use."""
    if not statuses:
        return {
            "text": "No teams configured.",
            "blocks": [section("No teams are configured in finops.yml.")],
        }
    month = statuses[0].today.strftime("%B %Y")
    blocks = [header(f"Budgets, {month}")]
    blocks += [section(_line(s)) for s in statuses[: MAX_BLOCKS - 2]]
    basis = {s.forecast_basis for s in statuses if s.forecast_basis}
    today = statuses[0].today
    if today.day == 1:
        span = (
            f"{today:%B} has no full day yet: {statuses[0].last_month_name}'s final figures first."
        )
    else:
        span = f"Month to date runs to yesterday ({day(today - timedelta(days=1))})."
    forecast = ", ".join(esc(b) for b in sorted(basis)) or "none yet"
    blocks.append(context(f"{span} Forecast: {forecast}."))
    return {"text": f"Budgets, {month}", "blocks": blocks}


def threshold_message(
    status: BudgetStatus, threshold: Decimal, *, step: str, proposals: list[str]
) -> dict[str, Any]:
    """A ladder step: `notify` (80 %), `restrict` (90 %) or `stop` (100 %)."""
    icon = {
        "notify": ":large_yellow_circle:",
        "restrict": ":large_orange_circle:",
        "stop": ":red_circle:",
    }[step]
    title = f"{esc(status.team)} has used {pct(status.use_pct)} of its {status.month} budget"
    blocks = [header(f"{title}"), section(_line(status))]
    if proposals:
        blocks.append(section("\n".join(proposals)))
    blocks.append(
        context(
            f"{icon} Budget alert at {threshold.normalize():f} %: sent once "
            "this month. See every team with `/budget`."
        )
    )
    return {"text": fallback(f"{icon} {title}"), "blocks": blocks}


def forecast_warning(status: BudgetStatus) -> dict[str, Any]:
    """The early warning: the forecast says the budget will be crossed on a date."""
    crossing = status.crossing_date
    when = f" on *{day(crossing)}* ({crossing.isoformat()})" if crossing else ""
    title = f"{esc(status.team)} is on course to exceed its {status.month} budget"
    text = (
        f"At this pace, spend reaches the {money(status.budget.amount)} budget{when}: "
        f"forecast {money(status.forecast)} ({pct(status.forecast_pct)}), month to date "
        f"{money(status.month_to_date)} ({pct(status.use_pct)})."
    )
    return {
        "text": fallback(f":crystal_ball: {title}{when.replace('*', '')}"),
        "blocks": [
            header(title),
            section(text),
            context(
                f"Forecast by {esc(status.forecast_basis or 'run rate')}. Sent once this month."
            ),
        ],
    }


def budget_set_message(team: str, amount: Decimal, previous: Decimal | None) -> dict[str, Any]:
    """The confirmation of `/budget set`."""
    before = f" (was {money(previous)})" if previous is not None else ""
    text = f":white_check_mark: The monthly budget of *{esc(team)}* is now {money(amount)}{before}."
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": [section(text)]}


def budget_help(command: str, usage: str, summary: str) -> dict[str, Any]:
    """`/budget help`: information, not a warning."""
    text = (
        f"*{command}* — {summary}\n`{usage}`\n"
        "Example: `/budget set team=payments amount=12000` (or `12,000`, `$12,000.50`)."
    )
    return {"text": f"{command} help", "blocks": [section(text)]}
