"""`/tags [team=NAME]`: tagging compliance from the inventory (the `tags` kind), through
the one listing pipeline (as of, Refresh, Show more, Download CSV), with "Ask owner to
fix" buttons that re-check the resource live before anyone is messaged."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.args import ArgumentError, parse_args, suggest
from bot.findings.scope import ScanFilter
from bot.inventory.listing import Listing, read_listing
from bot.inventory.tags import TAG_KINDS, checked_listing, tag_scope, tags_report
from bot.payloads import ListingButton, TagsAskButton, TagsPageButton
from bot.render.common import error_message
from bot.render.listing import Page
from bot.render.tags import (
    MAX_LISTED,
    listed,
    owner_asked,
    owner_request_message,
    tags_csv,
    tags_help,
    tags_message,
)
from bot.render.text import code, esc, mention_user
from bot.services import Services
from bot.slack.outbound import outbound_for
from bot.slack.worker import worker_for
from bot.tags.compliance import missing_key, queue_owner_request
from bot.tags.recheck import still_missing
from handlers import listings
from handlers.listings import ListingView, answer_listing, listing_message, register_view

COMMAND = "/tags"
USAGE = "/tags [team=NAME]"
SUMMARY = "tagging compliance per team, resources missing required tags, untagged spend"

log = logging.getLogger(__name__)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def parse_team(text: str, services: Services) -> tuple[str | None, bool]:
    """(team or None, wants help); ArgumentError for anything else or an unknown team."""
    parsed = parse_args(text, keys=("team",), command=COMMAND)
    team = parsed.options.get("team")
    if team is not None:
        known = {name.lower(): name for name in services.config.teams}
        if team.lower() not in known:
            choices = sorted(services.config.teams)
            raise ArgumentError(
                f'Unknown team "{team}"{suggest(team, choices) or "."} '
                f"Teams: {', '.join(choices) or 'none configured'}."
            )
        team = known[team.lower()]
    return team, "help" in parsed.words


def owner_ids(owners: set[str], services: Services) -> dict[str, str]:
    """Owner tag values (Slack user ids or emails) that map to a Slack user id."""
    resolve = outbound_for(services).lookup_email
    found: dict[str, str] = {}
    for owner in owners:
        if _USER_ID.match(owner):
            found[owner] = owner
        elif "@" in owner and (user := resolve(owner)):
            found[owner] = user
    return found


def _render(services: Services, listing: Listing, scope: ScanFilter, page: Page) -> dict[str, Any]:
    report = tags_report(services, listing, team=scope.team)
    owners = owner_ids({c.owner for c in listed(report, page) if c.owner}, services)
    return tags_message(report, owners=owners, page=page)


def _csv(services: Services, listing: Listing, scope: ScanFilter) -> tuple[str, int]:
    """Every resource missing tags (not one page), with `/tags`' own columns."""
    checked = checked_listing(listing, services.config, team=scope.team)
    rows = sorted((c for c in checked if not c.compliant), key=missing_key)
    return tags_csv(rows), len(rows)


def _scope(services: Services, text: str) -> ScanFilter:
    return ScanFilter(team=parse_team(text, services)[0])


VIEW = register_view(
    ListingView(
        command=COMMAND,
        parse=_scope,
        kinds=lambda scope: list(TAG_KINDS),
        render=_render,
        rows=lambda listing, scope: [],
        select=tag_scope,
        csv=_csv,
        page_size=MAX_LISTED,
    )
)


def _text(team: str | None) -> str:
    return f"team={team}" if team else ""


def handle_tags(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then answer from the inventory."""
    services: Services = context["services"]
    text = command.get("text", "")
    try:
        team, wants_help = parse_team(text, services)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}`"))
        return
    if wants_help:
        ack(**tags_help(COMMAND, USAGE, SUMMARY, list(services.config.tags.required)))
        return
    ack()
    answer_listing(services, respond, VIEW, ScanFilter(team=team), _text(team))


def handle_show_more(
    ack: Ack, respond: Respond, context: BoltContext, value: TagsPageButton
) -> None:
    """A "Show more" posted before `/tags` joined the listing pipeline: the resources
    after the last one it showed, in the list's one order, read from the inventory."""
    ack()
    services: Services = context["services"]
    scope = ScanFilter(team=value.team)
    listing = read_listing(services, kinds=TAG_KINDS, scope=tag_scope(scope))
    key = value.after()
    checked = checked_listing(listing, services.config, team=value.team)
    ordered = sorted((c for c in checked if not c.compliant), key=missing_key)
    start = sum(1 for c in ordered if key is not None and missing_key(c) <= key)
    respond(
        **listing_message(services, VIEW, listing, scope, _text(value.team), start),
        response_type="ephemeral",
        replace_original=True,
    )


def handle_csv(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    value: TagsPageButton,
) -> None:
    """A "Download CSV" posted before `/tags` joined the listing pipeline."""
    listings.handle_csv(ack, body, respond, context, ListingButton(c=COMMAND, q=_text(value.team)))


_WHY_NOT = {
    "gone": "{id} no longer exists",
    "not_theirs": "{id} is no longer tagged as theirs",
    "complete": "{id} has every required tag now",
}


def handle_ask_owner(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: TagsAskButton,
) -> None:
    """Message the resource's owner asking for the missing tags; confirm to the clicker."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    owner = value.o
    asked = value.model_dump()
    now = still_missing(
        services,
        resource_type=value.t,
        region=value.r,
        account=value.a,
        resource_id=value.id,
        owner=owner,
        listed=list(value.m),
        owner_of=lambda tag: owner_ids({tag}, services).get(tag) if tag else None,
    )
    if now.reason is not None:
        why = _WHY_NOT[now.reason].format(id=code(value.id))
        respond(
            **error_message(f"Nothing sent to {mention_user(owner)}: {why}."),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    asked["m"] = now.missing
    # the DM is queued with the audit record; a Slack retry of this click asks once
    key = f"tags-ask:{asked.get('id')}:{owner}:{action.get('action_ts') or services.now()}"
    queue_owner_request(
        services,
        key=key,
        actor=user,
        owner=owner,
        resource_id=str(asked.get("id")),
        missing=asked.get("m", []),
        message=owner_request_message(asked, asked_by=user),
    )
    sent = worker_for(services).deliver_keys([key]).get(key)
    if sent is not None and sent.state == "failed":
        respond(
            **error_message(f"Could not message {mention_user(owner)} ({esc(sent.last_error)})."),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    respond(**owner_asked(asked))
