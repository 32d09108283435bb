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

from bot.dispatch import Dispatcher
from bot.payloads import (
    AnomalyButton,
    CostShareButton,
    ListingButton,
    ListingPageButton,
    Payload,
    RejectForm,
    RequestButton,
    ResourceButton,
    RightsizeButton,
    ShowMoreButton,
    TagsAskButton,
    TagsPageButton,
)
from bot.render.anomalies import AnomalyAction
from bot.render.common import CommandHelp
from bot.render.compute import ComputeAction
from bot.render.cost import CostAction
from bot.render.home import HomeAction
from bot.render.listing import ListingAction
from bot.render.orphans import OrphanAction
from bot.render.remediation import REJECT_VIEW, CleanupAction
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
    home,
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

#: Button action ids, their listeners, and the model each button's value decodes to.
ACTIONS: list[tuple[str, Callable[..., Any], type[Payload] | None]] = [
    (OrphanAction.REQUEST, cleanup_actions.handle_request_cleanup, ResourceButton),
    (OrphanAction.SHOW_MORE, cleanup_actions.handle_show_more, ShowMoreButton),
    (CleanupAction.APPROVE, cleanup_actions.handle_approve, RequestButton),
    (CleanupAction.REJECT, cleanup_actions.handle_reject, RequestButton),
    (CleanupAction.RESTORE, cleanup_actions.handle_restore, RequestButton),
    (StorageAction.REQUEST, storage_advice.handle_request_change, ResourceButton),
    (ComputeAction.REQUEST, compute.handle_request_compute, ResourceButton),
    (RightsizeAction.STOP, rightsize.handle_request_rightsize, RightsizeButton),
    (RightsizeAction.TERMINATE, rightsize.handle_request_rightsize, RightsizeButton),
    (RightsizeAction.CHANGE, rightsize.handle_request_rightsize, RightsizeButton),
    (CostAction.SHARE, cost.handle_share_cost, CostShareButton),
    (AnomalyAction.EXPECTED, anomaly_actions.handle_anomaly_feedback, AnomalyButton),
    (AnomalyAction.NOT_ANOMALY, anomaly_actions.handle_anomaly_feedback, AnomalyButton),
    (AnomalyAction.INVESTIGATING, anomaly_actions.handle_anomaly_feedback, AnomalyButton),
    (TagsAction.ASK_OWNER, tags.handle_ask_owner, TagsAskButton),
    (ListingAction.REFRESH, listings.handle_refresh, ListingButton),
    (ListingAction.CSV, listings.handle_csv, ListingButton),
    (ListingAction.SHOW_MORE, listings.handle_show_more, ListingPageButton),
    (TagsAction.SHOW_MORE, tags.handle_show_more, TagsPageButton),
    (TagsAction.CSV, tags.handle_csv, TagsPageButton),
    (HomeAction.APPROVE, cleanup_actions.handle_home_approve, RequestButton),
    (HomeAction.REJECT, cleanup_actions.handle_home_reject, RequestButton),
]

#: Events API event types and their listeners (run on the answer pool, acked at once).
EVENTS: list[tuple[str, Callable[..., Any]]] = [
    (home.EVENT, home.handle_app_home_opened),
]

#: Modal callback ids, their submission listeners, and their private_metadata models.
VIEWS: list[tuple[str, Callable[..., Any], type[Payload] | None]] = [
    (REJECT_VIEW, cleanup_actions.handle_reject_submission, RejectForm),
]


def registered_commands() -> list[str]:
    """The slash commands this bot answers."""
    return [spec.name for spec in COMMANDS]


def command_help() -> list[CommandHelp]:
    """Help lines for every command."""
    return [CommandHelp(spec.name, spec.usage, spec.summary) for spec in COMMANDS]


def register(app: App, dispatcher: Dispatcher) -> None:
    """Attach every listener to `app`, each run by `dispatcher` (decoded once, acked at
    once, answered on the bot's own workers). The catch-alls go last."""
    for spec in COMMANDS:
        app.command(spec.name)(dispatcher.command(spec.handler))
    for action_id, listener, model in ACTIONS:
        app.action(action_id)(dispatcher.action(listener, model))
    for callback_id, listener, model in VIEWS:
        app.view(callback_id)(dispatcher.view(listener, model))
    for event_type, listener in EVENTS:
        app.event(event_type)(dispatcher.event(listener))
    app.command(re.compile(r"^/.*"))(unknown_command.handle_unknown_command)  # answers in the ack
    app.action(re.compile(r".*"))(dispatcher.unknown_action)
    app.view(re.compile(r".*"))(dispatcher.unknown_view)
    app.view_closed(re.compile(r".*"))(dispatcher.unknown_view)
