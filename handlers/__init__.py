"""Every slash command and interaction, registered in one place.

Adding a command: write `handlers/<name>.py` with COMMAND, USAGE, SUMMARY and a handler,
then add one line to COMMANDS below (and the command to manifest.yml — a test checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.render.anomalies import AnomalyAction
from bot.render.common import CommandHelp
from bot.render.compute import ComputeAction
from bot.render.cost import CostAction
from bot.render.listing import ListingAction
from bot.render.orphans import OrphanAction
from bot.render.remediation import CleanupAction
from bot.render.rightsize import RightsizeAction
from bot.render.storage_advice import StorageAction
from bot.render.tags import TagsAction
from handlers import (
    anomaly_actions,
    budget,
    cleanup_actions,
    compute,
    cost,
    finops,
    listings,
    orphans,
    rightsize,
    savings,
    storage_advice,
    tags,
    unknown_command,
)


@dataclass(frozen=True)
class CommandSpec:
    """A slash command: its name, help text and listener."""

    name: str
    usage: str
    summary: str
    handler: Callable[..., Any]


COMMANDS: list[CommandSpec] = [
    CommandSpec(finops.COMMAND, finops.USAGE, finops.SUMMARY, finops.handle_finops),
    CommandSpec(orphans.COMMAND, orphans.USAGE, orphans.SUMMARY, orphans.handle_orphans),
    CommandSpec(cost.COMMAND, cost.USAGE, cost.SUMMARY, cost.handle_cost),
    CommandSpec(budget.COMMAND, budget.USAGE, budget.SUMMARY, budget.handle_budget),
    CommandSpec(
        storage_advice.COMMAND,
        storage_advice.USAGE,
        storage_advice.SUMMARY,
        storage_advice.handle_storage,
    ),
    CommandSpec(tags.COMMAND, tags.USAGE, tags.SUMMARY, tags.handle_tags),
    CommandSpec(compute.COMMAND, compute.USAGE, compute.SUMMARY, compute.handle_compute),
    CommandSpec(rightsize.COMMAND, rightsize.USAGE, rightsize.SUMMARY, rightsize.handle_rightsize),
    CommandSpec(savings.COMMAND, savings.USAGE, savings.SUMMARY, savings.handle_savings),
]

#: Button action ids and their listeners.
ACTIONS: list[tuple[str, Callable[..., Any]]] = [
    (OrphanAction.REQUEST, cleanup_actions.handle_request_cleanup),
    (OrphanAction.SHOW_MORE, cleanup_actions.handle_show_more),
    (CleanupAction.APPROVE, cleanup_actions.handle_approve),
    (CleanupAction.REJECT, cleanup_actions.handle_reject),
    (CleanupAction.RESTORE, cleanup_actions.handle_restore),
    (StorageAction.REQUEST, storage_advice.handle_request_change),
    (ComputeAction.REQUEST, compute.handle_request_compute),
    (RightsizeAction.STOP, rightsize.handle_request_rightsize),
    (RightsizeAction.TERMINATE, rightsize.handle_request_rightsize),
    (RightsizeAction.CHANGE, rightsize.handle_request_rightsize),
    (CostAction.SHARE, cost.handle_share_cost),
    (AnomalyAction.EXPECTED, anomaly_actions.handle_anomaly_feedback),
    (AnomalyAction.NOT_ANOMALY, anomaly_actions.handle_anomaly_feedback),
    (AnomalyAction.INVESTIGATING, anomaly_actions.handle_anomaly_feedback),
    (TagsAction.ASK_OWNER, tags.handle_ask_owner),
    (ListingAction.REFRESH, listings.handle_refresh),
    (ListingAction.CSV, listings.handle_csv),
]


def registered_commands() -> list[str]:
    """The slash commands this bot answers."""
    return [spec.name for spec in COMMANDS]


def command_help() -> list[CommandHelp]:
    """Help lines for every command."""
    return [CommandHelp(spec.name, spec.usage, spec.summary) for spec in COMMANDS]


def register(app: App) -> None:
    """Attach every listener to `app`. The catch-all for unknown commands goes last."""
    for spec in COMMANDS:
        app.command(spec.name)(spec.handler)
    for action_id, listener in ACTIONS:
        app.action(action_id)(listener)
    app.command(re.compile(r"^/.*"))(unknown_command.handle_unknown_command)
