"""Block Kit for anomaly alerts: expected vs actual, impact, contributors, actions, buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.render.common import Blocks, context, fallback, header, section
from bot.render.text import code, esc, mention_user


class AnomalyAction(StrEnum):
    """Action ids of the anomaly buttons (shared with handler registration)."""

    EXPECTED = "anomaly_expected"
    INVESTIGATING = "anomaly_investigating"


@dataclass
class AnomalyView:
    """Everything an anomaly message shows."""

    anomaly_id: int
    team: str | None
    service: str
    account: str | None
    first_day: date
    last_day: date
    expected: Decimal
    actual: Decimal
    impact: Decimal
    status: str = "open"
    feedback_by: str | None = None
    days: list[dict[str, str]] = field(default_factory=list)
    contributors: list[dict[str, str]] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)


def money(value: Decimal) -> str:
    """$12,345.67"""
    return f"${value:,.2f}"


def _days(view: AnomalyView) -> str:
    if view.first_day == view.last_day:
        return view.first_day.strftime("%a %d %b %Y")
    return f"{view.first_day.strftime('%a %d %b')} to {view.last_day.strftime('%a %d %b %Y')}"


def anomaly_message(view: AnomalyView) -> dict[str, Any]:
    """The alert posted to the owning team's channel (and re-rendered on every update)."""
    who = f"team *{esc(view.team)}*" if view.team else "*untagged* spend"
    increase = (view.actual - view.expected) / view.expected * 100 if view.expected else None
    pct = f" (+{increase:,.0f} %)" if increase is not None else " (new spend)"
    where = f" in account {esc(view.account)}" if view.account else ""
    summary = (
        f"{who}: *{esc(view.service)}*{where}, {_days(view)}\n"
        f"Expected *{money(view.expected)}*/day, actual *{money(view.actual)}*{pct} "
        f"on the worst day. Impact so far: *{money(view.impact)}*."
    )
    blocks: Blocks = [header(f"Cost anomaly: {esc(view.service)}"), section(summary)]
    if len(view.days) > 1:
        lines = [
            f"{d['day']}: {money(Decimal(d['actual']))} vs {money(Decimal(d['expected']))}"
            for d in view.days[-7:]
        ]
        blocks.append(context("Days: " + " · ".join(lines)))
    if view.contributors:
        rows = [
            f"• {code(c['usage_type'])} in {esc(c['region'])}, account {esc(c['account'])}: "
            f"{money(Decimal(c['amount']))} (+{money(Decimal(c['amount']) - Decimal(c['before']))}"
            " vs a week before)"
            for c in view.contributors
        ]
        blocks.append(section("*Top contributors*\n" + "\n".join(rows)))
    if view.recommendations:
        advice = "\n".join(f"• {esc(r)}" for r in view.recommendations)
        blocks.append(section("*Recommended*\n" + advice))
    blocks.append(_status_block(view))
    text = (
        f"Cost anomaly for {esc(view.team or 'untagged spend')}: {esc(view.service)} cost "
        f"{money(view.actual)} vs {money(view.expected)} expected ({money(view.impact)} impact)"
    )
    return {"text": fallback(text), "blocks": blocks}


def _status_block(view: AnomalyView) -> dict[str, Any]:
    if view.status == "expected":
        return context(
            f":white_check_mark: Marked expected by {mention_user(view.feedback_by)}; "
            "it will not be alerted again."
        )
    buttons = [
        {
            "type": "button",
            "action_id": AnomalyAction.EXPECTED.value,
            "text": {"type": "plain_text", "text": "Expected"},
            "value": str(view.anomaly_id),
        },
    ]
    if view.status != "investigating":
        buttons.append(
            {
                "type": "button",
                "action_id": AnomalyAction.INVESTIGATING.value,
                "text": {"type": "plain_text", "text": "Investigating"},
                "value": str(view.anomaly_id),
                "style": "primary",
            }
        )
    if view.status == "investigating":
        return {
            "type": "section",
            "block_id": f"anomaly-{view.anomaly_id}",
            "text": {
                "type": "mrkdwn",
                "text": f":mag: {mention_user(view.feedback_by)} is investigating.",
            },
            "accessory": buttons[0],
        }
    return {"type": "actions", "block_id": f"anomaly-{view.anomaly_id}", "elements": buttons}
