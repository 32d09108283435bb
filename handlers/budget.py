"""`/budget` and `/budget set team=X amount=N`: team budgets and how they are used."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.args import ArgumentError, parse_args
from bot.budgets.status import team_statuses
from bot.budgets.store import change_budget, check_team, parse_amount
from bot.cost.service import CostUnavailable
from bot.render.budgets import budget_help, budget_set_message, budget_table
from bot.render.common import error_message, section
from bot.render.text import esc, mention_user
from bot.services import Services
from handlers.progress import answer_with_placeholder

COMMAND = "/budget"
USAGE = "/budget [set team=NAME amount=N]"
SUMMARY = "every team's monthly budget, spend so far, forecast and use; approvers set budgets"


def handle_budget(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Show the table (after acking), or set a budget (answered in the ack)."""
    services: Services = context["services"]
    try:
        args = parse_args(
            command.get("text", ""), keys=("team", "amount"), words=("help", "set"), command=COMMAND
        )
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}`"))
        return
    if "help" in args.words:
        ack(**budget_help(COMMAND, USAGE, SUMMARY))
        return
    if "set" in args.words:
        ack(**_set(services, args.options, user=command.get("user_id", "")))
        return
    if args.options:
        ack(**error_message("Options go with `set`.", hint=f"Usage: `{USAGE}`"))
        return
    ack()  # a placeholder only if the answer is slow, and replaced by it

    def compute() -> dict[str, Any]:
        try:
            return budget_table(team_statuses(services))
        except CostUnavailable as exc:
            return error_message(esc(exc))

    answer_with_placeholder(
        respond,
        compute,
        placeholder={
            "text": "Adding up this month's spend…",
            "blocks": [section(":hourglass: Adding up…")],
        },
    )


def _set(services: Services, options: dict[str, str], *, user: str) -> dict[str, Any]:
    config = services.config
    missing = [k for k in ("team", "amount") if k not in options]
    if missing:
        return error_message(
            f"`/budget set` needs {' and '.join(f'{k}=…' for k in missing)}.",
            hint="Example: `/budget set team=payments amount=12000`",
        )
    try:
        team = check_team(config, options["team"])
        amount = parse_amount(options["amount"])
    except ArgumentError as exc:
        return error_message(esc(exc), hint="Example: `/budget set team=payments amount=12000`")
    approvers = config.teams[team].approvers
    if user not in approvers:
        who = ", ".join(mention_user(u) for u in approvers) or "nobody (no approvers configured)"
        return error_message(
            f"Only the approvers of team *{team}* may set its budget: {who}.",
            hint="Nothing was changed.",
        )
    previous = change_budget(services, team=team, amount=amount, user=user)
    return budget_set_message(team, amount, previous)
