"""`finops-bot audit`: the whole audit log for auditors and scripts (JSON or CSV).

One log from both tables: every cleanup event (requested, approved, each step before and
after its AWS call, executed, failed, reconciled, restored...) and every other audited act
(`/budget set`, anomaly feedback, ...). Text is plain: Slack markup (`*bold*`, backticks,
`<@U…>` mentions, `<url|label>` links) is removed, and user ids get a name column (from
Slack's users.info when a bot token is set, else the id). `details` (the resource before,
step outcomes, tokens) only in JSON.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from bot.services import Services
from bot.slack.outbound import Outbound
from bot.slack_client import make_web_client
from storage.db import Database
from storage.models import AuditEvent
from storage.models_remediation import RemediationEvent

COLUMNS = (
    "at",
    "status",
    "request_id",
    "resource_id",
    "resource_type",
    "action",
    "region",
    "account",
    "actor",
    "actor_name",
    "requested_by",
    "requested_by_name",
    "decided_by",
    "decided_by_name",
    "monthly_saving",
    "result",
)
#: Names for user ids (an id it does not know comes back as itself).
NameOf = Callable[[str], str]

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_CODE = re.compile(r"```|`")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def parse_since(text: str) -> datetime:
    """`2026-11-01` (midnight UTC) or an ISO datetime; ValueError with a clear message."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def plain(text: str, name_of: NameOf | None = None) -> str:
    """Slack mrkdwn as plain text: mentions as @name, links as label (url), no markup."""
    name = name_of or (lambda user: user)
    text = _MENTION.sub(lambda m: "@" + name(m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _CODE.sub("", text)
    text = _BOLD.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    return html.unescape(text)


def _cleanup_rows(db: Database, since: datetime | None) -> list[tuple[datetime, int, dict]]:
    query = select(RemediationEvent).order_by(RemediationEvent.id)
    if since is not None:
        query = query.where(RemediationEvent.at >= since)
    with db.session() as session:
        rows = list(session.scalars(query))
    return [
        (
            _aware(row.at),
            0,
            {
                "at": _aware(row.at).isoformat(),
                "status": row.status,
                "request_id": row.request_id,
                "resource_id": row.resource_id,
                "resource_type": row.resource_type,
                "action": row.action,
                "region": row.region,
                "account": row.account,
                "actor": row.actor,
                "requested_by": row.requested_by,
                "decided_by": row.decided_by,
                "monthly_saving": f"{row.monthly_saving:.2f}",
                "result": row.result,
                "detail": {"before": row.before, **(row.detail or {})},
            },
        )
        for row in rows
    ]


def _other_rows(db: Database, since: datetime | None) -> list[tuple[datetime, int, dict]]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    with db.session() as session:
        rows = list(session.scalars(query))
    return [
        (
            _aware(row.at),
            1,
            {
                "at": _aware(row.at).isoformat(),
                "status": row.action,
                "request_id": None,
                "resource_id": row.subject,
                "resource_type": row.subject.split(":", 1)[0] if ":" in row.subject else "",
                "action": row.action,
                "region": "",
                "account": "",
                "actor": row.actor,
                "requested_by": None,
                "decided_by": None,
                "monthly_saving": "",
                "result": describe_other(row.action, row.subject, row.detail or {}),
                "detail": dict(row.detail or {}),
            },
        )
        for row in rows
    ]


def describe_other(action: str, subject: str, detail: dict[str, Any]) -> str:
    """One sentence for an audited act that is not a cleanup."""
    if action == "budget.set":
        team = subject.split(":", 1)[-1]
        was = detail.get("previous")
        return f"monthly budget of {team} set to {detail.get('amount')}" + (
            f" (was {was})" if was is not None else " (none before)"
        )
    if action.startswith("anomaly."):
        return (
            f"anomaly {subject} ({detail.get('series', '')}, from "
            f"{detail.get('first_day', '?')}) marked {action.split('.', 1)[1]}"
        )
    shown = ", ".join(f"{k}={v}" for k, v in sorted(detail.items()) if not isinstance(v, dict))
    return f"{action} {subject}".strip() + (f": {shown}" if shown else "")


def events(
    db: Database, *, since: datetime | None = None, name_of: NameOf | None = None
) -> list[dict[str, Any]]:
    """Every audit event, oldest first, as plain JSON-safe dicts (names resolved)."""
    merged = sorted(_cleanup_rows(db, since) + _other_rows(db, since), key=lambda r: r[:2])
    name = name_of or (lambda user: user)
    out = []
    for _at, _source, row in merged:
        for who in ("actor", "requested_by", "decided_by"):
            row[f"{who}_name"] = name(row[who]) if row[who] else None
        row["result"] = plain(row["result"] or "", name)
        out.append(row)
    return out


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """The events as a JSON array (with `details`) or CSV (plain columns, no details)."""
    if fmt == "json":
        shown = [{**{k: row.get(k) for k in COLUMNS}, "details": row["detail"]} for row in rows]
        return json.dumps(shown, indent=2, sort_keys=False, default=str)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in COLUMNS})
    return out.getvalue()


def slack_names(outbound: Outbound) -> NameOf:
    """Names from Slack's users.info through the outbound module (cached; the id itself
    when Slack does not answer)."""
    cache: dict[str, str] = {}

    def name_of(user: str) -> str:
        if not re.fullmatch(r"[UW][A-Z0-9]+", user or ""):
            return user
        if user not in cache:
            cache[user] = outbound.user_name(user) or user
        return cache[user]

    return name_of


def run_audit(services: Services, *, fmt: str, since: str | None, verify: bool) -> int:
    """`finops-bot audit`: print the log (exit 0), or `--verify` it (exit 1 with the list
    of inconsistencies); a bad `--since` exits 2."""
    if verify:
        from bot.audit_verify import verify as check

        problems = check(services.db, now=services.now())
        for problem in problems:
            print(problem)
        verdict = f"NOT consistent: {len(problems)} problem(s)" if problems else "consistent"
        print(f"audit log {verdict}", file=sys.stderr)
        return 1 if problems else 0
    try:
        moment = parse_since(since) if since else None
    except ValueError as exc:
        print(f"finops-bot: {exc}", file=sys.stderr)
        return 2
    name_of = (
        slack_names(Outbound(make_web_client(services.settings)))
        if services.settings.slack_bot_token is not None
        else None
    )
    print(render(events(services.db, since=moment, name_of=name_of), fmt), end="")
    if fmt == "json":
        print()
    return 0
