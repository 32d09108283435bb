"""Who may decide a cleanup request: the team's approvers and the resource's owner.

The owner tag holds a Slack user id or an email; emails are resolved by the caller's
`resolve_email` (in Slack: `users.lookupByEmail`). The requester may not approve their own
request unless `remediation.allow_self_approval` is set (four-eyes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import FinopsConfig

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

EmailResolver = Callable[[str], str | None]


@dataclass(frozen=True)
class Verdict:
    """Whether a user may decide, and if not, why (user-facing)."""

    allowed: bool
    reason: str = ""
    as_role: str = ""  # "approver" or "owner"


def owner_user(owner: str | None, resolve_email: EmailResolver | None) -> str | None:
    """The owner tag as a Slack user id (None when it is neither an id nor a known email)."""
    if not owner:
        return None
    owner = owner.strip()
    if _USER_ID.match(owner):
        return owner
    if "@" in owner and resolve_email is not None:
        return resolve_email(owner)
    return None


def _approvers(config: FinopsConfig, team: str | None) -> list[str]:
    if team in config.teams and config.teams[team].approvers:
        return list(config.teams[team].approvers)
    # A team without approvers (and untagged resources) falls back to the default ones.
    return list(config.remediation.default_approvers)


def deciders(
    config: FinopsConfig,
    *,
    team: str | None,
    owner: str | None,
    resolve_email: EmailResolver | None,
) -> list[str]:
    """Every Slack user who may decide for a resource of `team` owned by `owner`."""
    people = list(_approvers(config, team))
    user = owner_user(owner, resolve_email)
    if user and user not in people:
        people.append(user)
    return people


def may_decide(
    config: FinopsConfig,
    *,
    user: str,
    team: str | None,
    owner: str | None,
    requested_by: str,
    approving: bool,
    resolve_email: EmailResolver | None = None,
) -> Verdict:
    """Whether `user` may approve (or reject) a request.

    The requester may always withdraw (reject) their own request; approving it needs
    someone else unless self-approval is allowed.
    """
    if not approving and user == requested_by:
        return Verdict(True, as_role="requester")
    if approving and user == requested_by and not config.remediation.allow_self_approval:
        return Verdict(
            False, "you requested this cleanup, so someone else has to approve it (four-eyes rule)"
        )
    if user in _approvers(config, team):
        return Verdict(True, as_role="approver")
    if owner_user(owner, resolve_email) == user:
        return Verdict(True, as_role="owner")
    allowed = deciders(config, team=team, owner=owner, resolve_email=resolve_email)
    who = ", ".join(f"<@{u}>" for u in allowed) or "nobody yet (no team approvers or owner)"
    scope = f"team *{team}*" if team in config.teams else "resources with no team"
    return Verdict(
        False, f"only the approvers of {scope} or the resource's owner may decide: {who}"
    )
