"""Block Kit for the App Home tab (`views.publish`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.home import HomeData
from bot.orphans.prices import format_money
from bot.render.budgets import money, pct
from bot.render.common import MAX_BLOCKS, Blocks, context, header, section
from bot.render.remediation import decision_buttons, status_line, what
from bot.render.text import code, esc, mention_channel, tag_value
from storage.models_remediation import CleanupRequest

HOME_CALLBACK = "finops_home"


class HomeAction(StrEnum):
    """Action ids of the Home tab's buttons (their values: the request id, as in channels)."""

    APPROVE = "home_cleanup_approve"
    REJECT = "home_cleanup_reject"


def _budget_line(data: HomeData) -> Blocks:
    if not data.budgets:
        return [section("_No budget figures to show._")]
    lines = []
    for s in data.budgets:
        if s.budget.amount is None:
            lines.append(
                f"• *{esc(s.team)}*: {money(s.month_to_date, s.currency)} so far, no budget"
            )
        else:
            flag = " :warning:" if (s.use_pct or 0) >= 80 else ""
            lines.append(
                f"• *{esc(s.team)}*: {money(s.month_to_date, s.currency)} of "
                f"{money(s.budget.amount, s.currency)} (*{pct(s.use_pct)}*){flag} · "
                f"forecast {money(s.forecast, s.currency)} ({pct(s.forecast_pct)})"
            )
    return [section("\n".join(lines))]


def _request_text(request: CleanupRequest) -> str:
    where = f" in {mention_channel(request.channel)}" if request.channel else ""
    return (
        f"*#{request.id}* · {what(request)} · saves "
        f"{format_money(request.monthly_saving)}/month · team {tag_value(request.team)}{where}"
    )


def _waiting(request: CleanupRequest, restore_days: int | None) -> Blocks:
    buttons = decision_buttons(
        request,
        restore_days=restore_days,
        approve_id=HomeAction.APPROVE,
        reject_id=HomeAction.REJECT,
    )
    return [
        section(_request_text(request)),
        {
            "type": "actions",
            "block_id": f"home-cleanup-{request.id}",
            "elements": buttons,
        },
    ]


def home_view(data: HomeData, *, restore_days: int | None = None) -> dict[str, Any]:
    """The Home tab of `data.user`."""
    scope = ", ".join(esc(t) for t in data.teams) or "no teams configured"
    whose = "Your teams" if data.approver else "All teams"
    blocks: Blocks = [
        header("finops-bot"),
        context(f"{whose}: {scope}. Commands: `/cost`, `/budget`, `/orphans`, `/savings`."),
        *(section(answer) for answer in data.answers),
        section("*Month to date vs budget*"),
        *_budget_line(data),
        section(f"*Waiting for your approval* ({len(data.waiting)})"),
    ]
    if not data.waiting:
        blocks.append(context("Nothing is waiting for you."))
    for request in data.waiting:
        blocks += _waiting(request, restore_days)
    blocks.append(section(f"*Your open requests* ({len(data.mine)})"))
    if not data.mine:
        blocks.append(context("You have no open requests."))
    for request in data.mine:
        blocks.append(section(f"{_request_text(request)}\n{status_line(request)}"))
    blocks.append(section("*Top open waste*"))
    if not data.waste:
        blocks.append(context("No open waste found for these teams."))
    else:
        lines = [
            f"• *{format_money(f.monthly_cost)}/month* · {code(f.resource_id)} · "
            f"{esc(f.size)} · {esc(f.region)} · team {tag_value(f.team)}"
            + (
                f" · :hourglass: request #{data.waste_requests[f.resource_id]}"
                if f.resource_id in data.waste_requests
                else ""
            )
            for f in data.waste
        ]
        more = data.waste_total_count - len(data.waste)
        if more > 0:
            lines.append(f"…and {more} more: `/orphans` lists them all with Request cleanup.")
        blocks.append(section("\n".join(lines)))
        if data.waste_as_of is not None:
            blocks.append(context(f"Scanned {data.waste_as_of:%Y-%m-%d %H:%M} UTC."))
    if data.notes:
        blocks.append(context(" ".join(esc(n) for n in data.notes)))
    if len(blocks) > MAX_BLOCKS:  # 100 in a Home tab; keep within messages' 50 anyway
        blocks = [*blocks[: MAX_BLOCKS - 1], context("…more than fits here.")]
    return {"type": "home", "callback_id": HOME_CALLBACK, "blocks": blocks}
