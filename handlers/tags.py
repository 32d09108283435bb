"""`/tags [team=NAME]`: tagging compliance, with "Ask owner to fix" buttons."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.args import ArgumentError, parse_args, suggest
from bot.payloads import TagsAskButton, TagsPageButton
from bot.render.common import error_message, section
from bot.render.tags import (
    listed,
    owner_asked,
    owner_request_message,
    tags_csv,
    tags_help,
    tags_message,
)
from bot.render.text import code, esc, mention_user
from bot.services import Services
from bot.slack import outbox
from bot.slack.outbound import outbound_for
from bot.slack.worker import worker_for
from bot.tags.compliance import check, tag_report
from bot.tags.inventory import find_resource
from handlers.listings import upload_csv
from storage.audit import record

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


def handle_tags(
    ack: Ack,
    command: dict[str, str],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Validate (answering mistakes at once), acknowledge, then list, check and answer."""
    services: Services = context["services"]
    try:
        team, wants_help = parse_team(command.get("text", ""), services)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{USAGE}`"))
        return
    if wants_help:
        ack(**tags_help(COMMAND, USAGE, SUMMARY, list(services.config.tags.required)))
        return
    ack(text="Checking tags…", blocks=[section(":label: Checking tags…")])
    report = tag_report(services, team=team)
    owners = owner_ids({c.owner for c in listed(report) if c.owner}, services)
    respond(**tags_message(report, owners=owners), response_type="ephemeral")


def handle_show_more(
    ack: Ack, respond: Respond, context: BoltContext, value: TagsPageButton
) -> None:
    """Replace the `/tags` answer with its next page: the resources that come after the
    last one shown in the list's one order (none repeated, even if the estate changed).
    `/tags` lists live (on the bot's workers), so the page is read again from AWS."""
    ack()
    services: Services = context["services"]
    report = tag_report(services, team=value.team)
    owners = owner_ids({c.owner for c in listed(report, value) if c.owner}, services)
    respond(
        **tags_message(report, owners=owners, page=value),
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
    """Send every resource missing tags (not one page) as a CSV file to the user's DMs."""
    ack()
    services: Services = context["services"]
    report = tag_report(services, team=value.team)
    rows = report.missing
    scope = f" team={value.team}" if value.team else ""
    sent = upload_csv(
        services,
        user=str(body["user"]["id"]),
        filename="tags.csv",
        content=tags_csv(rows),
        title=f"{COMMAND}{scope} ({len(rows)} rows)",
    )
    message = (
        f":page_facing_up: Sent `tags.csv` ({len(rows)} rows) to your direct messages."
        if sent
        else ":warning: The CSV could not be uploaded; try again in a moment."
    )
    respond(text=message, response_type="ephemeral", replace_original=False)


def still_missing(
    services: Services,
    value: dict[str, Any],
    *,
    owner_of: Callable[[str], str | None] | None = None,
) -> list[str] | str:
    """The required tags the button's resource misses right now, or why nobody should be
    asked (it is gone, has every tag now, or its Owner tag no longer resolves to the
    button's user: `owner_of`). AWS errors fall back to the button's list."""
    try:
        resource = find_resource(
            services.aws,
            services.config,
            resource_type=str(value["t"]),
            region=str(value["r"]),
            account=str(value["a"]),
            resource_id=str(value["id"]),
        )
    except Exception:
        log.warning("re-check of %s failed; using the listed tags", value.get("id"), exc_info=True)
        return list(value.get("m", []))
    if resource is None:
        return f"`{value['id']}` no longer exists"
    owner_tag = resource.tags.get(services.config.tags.owner, "").strip()
    if owner_of is not None and owner_of(owner_tag) != value["o"]:
        return f"`{value['id']}` is no longer tagged as theirs"
    missing = list(check(resource, services.config).missing)
    return missing or f"{code(value['id'])} has every required tag now"


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
    missing = still_missing(
        services, asked, owner_of=lambda tag: owner_ids({tag}, services).get(tag) if tag else None
    )
    if isinstance(missing, str):
        respond(
            **error_message(f"Nothing sent to {mention_user(owner)}: {missing}."),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    asked["m"] = missing
    # the DM is queued with the audit record; a Slack retry of this click asks once
    key = f"tags-ask:{asked.get('id')}:{owner}:{action.get('action_ts') or services.now()}"
    with services.db.session() as session:
        record(
            session,
            actor=user,
            action="tags.ask-owner",
            subject=str(asked.get("id")),
            owner=owner,
            missing=asked.get("m", []),
        )
        outbox.message(
            session,
            key=key,
            purpose="dm",
            channel=owner,
            message=owner_request_message(asked, asked_by=user),
        )
    sent = worker_for(services).deliver_keys([key]).get(key)
    if sent is not None and sent.state == "failed":
        respond(
            **error_message(f"Could not message <@{owner}> ({sent.last_error})."),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    respond(**owner_asked(asked))
