"""What the advice commands (`/storage`, `/rightsize`, `/compute`, `/savings`) share:
reading `team=… region=… [help]`, and turning a "Request …" click into a posted request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.args import ArgumentError, parse_args
from bot.findings.scope import ScanFilter
from bot.orphans.query import check_scope
from bot.payloads import ResourceButton
from bot.remediation.service import RequestResult, ResourceRef
from bot.render import remediation as render
from bot.render.common import error_message
from bot.render.text import esc
from bot.services import Services
from handlers.cleanup_actions import announce_request


def advice_scope(services: Services, text: str, *, command: str) -> tuple[ScanFilter, bool]:
    """`(scope, wants_help)` from `team=NAME region=R [help]`; ArgumentError on a mistake."""
    args = parse_args(text, keys=("team", "region"), words=("help",), command=command)
    options = {k: v.strip().lower() for k, v in args.options.items()}
    scope = check_scope(
        services.config,
        team=options.get("team") or None,
        region=options.get("region") or None,
        kind=None,
    )
    return scope, "help" in args.words


def scope_or_answer(
    ack: Ack, text: str, services: Services, *, command: str, usage: str
) -> tuple[ScanFilter, bool] | None:
    """`(scope, wants_help)` from `team=NAME region=R [help]`; on a mistake, ack with what
    was wrong and what would work, and return None."""
    try:
        return advice_scope(services, text, command=command)
    except ArgumentError as exc:
        ack(**error_message(esc(exc), hint=f"Usage: `{usage}`"))
        return None


def request_from_click(
    body: dict[str, Any],
    action: dict[str, Any],
    value: ResourceButton,
    respond: Respond,
    client: WebClient,
    services: Services,
    *,
    command: str,
    request: Callable[[ResourceRef, str, dict[str, Any], str], RequestResult],
) -> None:
    """Read the button's resource, open the request (`request(ref, user, value, action_id)`)
    and post it to the owning team's channel; every outcome is answered to the clicker."""
    user = body["user"]["id"]
    ref = ResourceRef(kind=value.k, region=value.r, account=value.a, resource_id=value.id)
    result = request(ref, user, value.model_dump(), str(action.get("action_id", "")))
    if result.existing is not None:
        respond(**render.already_open(result.existing))
        return
    if result.request is None:
        respond(**render.problem(f"No change requested: {result.problem}"))
        return
    announce_request(client, services, result.request, user=user, respond=respond)
