"""Block Kit for anomaly alerts: expected vs actual, impact, contributors, actions, buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.payloads import AnomalyButton
from bot.render.common import Blocks, context, fallback, header, section
from bot.render.text import code, esc, mention_user


class AnomalyAction(StrEnum):
    """Action ids of the anomaly buttons (shared with handler registration)."""

    EXPECTED = "anomaly_expected"
    NOT_ANOMALY = "anomaly_not_anomaly"
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
    commands: list[str] = field(default_factory=list)
    phase: str = "active"  # active, ended, withdrawn
    tuning: str = ""  # "tuned after 2 'not an anomaly' answers on 2026-11-12"


def money(value: Decimal) -> str:
    """$12,345.67"""
    return f"${value:,.2f}"


def _days(view: AnomalyView) -> str:
    if view.first_day == view.last_day:
        return view.first_day.strftime("%a %d %b %Y")
    return f"{view.first_day.strftime('%a %d %b')} to {view.last_day.strftime('%a %d %b %Y')}"


def _span(view: AnomalyView) -> int:
    """The anomaly's alerted days (its calendar span when the days are not known)."""
    return len(view.days) or (view.last_day - view.first_day).days + 1


def anomaly_message(view: AnomalyView) -> dict[str, Any]:
    """The alert posted to the owning team's channel (and re-rendered on every update)."""
    who = f"team *{esc(view.team)}*" if view.team else "*untagged* spend"
    increase = (view.actual - view.expected) / view.expected * 100 if view.expected else None
    pct = f" (+{increase:,.0f} %)" if increase is not None else " (new spend)"
    where = f" in account {esc(view.account)}" if view.account else ""
    so_far = "so far" if view.phase == "active" else f"over its {_span(view)} day(s)"
    summary = (
        f"{who}: *{esc(view.service)}*{where}, {_days(view)}\n"
        f"Expected *{money(view.expected)}*/day, actual *{money(view.actual)}*{pct} "
        f"on the worst day. Impact {so_far}: *{money(view.impact)}*."
    )
    title = {"ended": " (ended)", "withdrawn": " (resolved)"}.get(view.phase, "")
    blocks: Blocks = [header(f"Cost anomaly{title}: {esc(view.service)}")]
    if view.phase == "withdrawn":
        blocks.append(
            section(
                ":recycle: *Resolved: the data was revised.* Cost Explorer's settled figures "
                "for these days are within the usual range; no action needed."
            )
        )
    elif view.phase == "ended":
        blocks.append(
            section(
                f":checkered_flag: *Ended* {view.last_day.strftime('%a %d %b')}: total impact "
                f"*{money(view.impact)}* over {_span(view)} day(s)."
            )
        )
    blocks.append(section(summary))
    if len(view.days) > 1:
        lines = [
            f"{d['day']}: {money(Decimal(d['actual']))} vs {money(Decimal(d['expected']))}"
            for d in view.days[-7:]
        ]
        blocks.append(context("Days: " + " · ".join(lines)))
    if view.contributors:
        blocks.append(section("*Top contributors* (by dollar impact)\n" + _contributors(view)))
    if view.recommendations and view.phase != "withdrawn":
        advice = "\n".join(f"• {esc(r)}" for r in view.recommendations)
        if view.commands:
            advice += "\nSee: " + ", ".join(code(c) for c in view.commands)
        blocks.append(section("*Recommended*\n" + advice))
    if view.tuning:
        blocks.append(context(f":control_knobs: This series was {esc(view.tuning)}."))
    blocks.extend(_status_blocks(view))
    state = {"ended": " (ended)", "withdrawn": " (resolved: the data was revised)"}
    text = (
        f"Cost anomaly for {esc(view.team or 'untagged spend')}: {esc(view.service)} cost "
        f"{money(view.actual)} vs {money(view.expected)} expected ({money(view.impact)} impact)"
        + state.get(view.phase, "")
    )
    return {"text": fallback(text), "blocks": blocks}


def _contributors(view: AnomalyView) -> str:
    rows = []
    for c in view.contributors:
        actual, expected = Decimal(c["amount"]), Decimal(c.get("expected", c.get("before", "0")))
        rows.append(
            f"• {code(c['usage_type'])} in {esc(c['region'])}, account {esc(c['account'])}: "
            f"{money(actual)} vs {money(expected)} expected (+{money(actual - expected)})"
        )
    return "\n".join(rows)


def _button(action: AnomalyAction, text: str, view: AnomalyView, **extra: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": text},
        "value": AnomalyButton(id=view.anomaly_id).encode(),
        **extra,
    }


def _status_blocks(view: AnomalyView) -> Blocks:
    if view.status == "expected":
        return [
            context(
                f":white_check_mark: Marked expected by {mention_user(view.feedback_by)}; it will "
                "not be "
                "alerted again, and its level is the series' new normal."
            )
        ]
    if view.status == "not_anomaly":
        return [
            context(
                f":no_bell: Marked not an anomaly by {mention_user(view.feedback_by)}; deviations "
                "like "
                "this one will not alert on this series again (larger ones still will)."
            )
        ]
    if view.phase == "withdrawn":
        return [context("Withdrawn by the bot after the data settled.")]
    buttons = [
        _button(AnomalyAction.EXPECTED, "Expected", view),
        _button(AnomalyAction.NOT_ANOMALY, "Not an anomaly", view),
    ]
    blocks: Blocks = []
    if view.status == "investigating":
        blocks.append(context(f":mag: {mention_user(view.feedback_by)} is investigating."))
    else:
        buttons.append(_button(AnomalyAction.INVESTIGATING, "Investigating", view, style="primary"))
    blocks.append(
        {"type": "actions", "block_id": f"anomaly-{view.anomaly_id}", "elements": buttons}
    )
    return blocks
