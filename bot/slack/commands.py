"""`finops-bot outbox`: what the bot still has to tell Slack, and what it could not.

finops-bot outbox                 pending and failed deliveries (a table)
finops-bot outbox --format json   the same, for scripts
finops-bot outbox retry ID        try a failed delivery again (after fixing its channel)
finops-bot outbox deliver         deliver what is due now, then exit
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `finops-bot --help` and other commands skip them
    from bot.services import Services
    from storage.models_outbox import OutboxMessage


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add `outbox` to the CLI."""
    parser = commands.add_parser("outbox", help="list pending and failed Slack deliveries")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    actions = parser.add_subparsers(dest="outbox_action", metavar="ACTION")
    retry = actions.add_parser("retry", help="try a failed delivery again")
    retry.add_argument("id", type=int, help="the outbox id (first column of the list)")
    actions.add_parser("deliver", help="deliver what is due now, then exit")


def run(args: argparse.Namespace, services: Services) -> int | None:
    """Run `outbox`; None when `args` is another command."""
    if args.command != "outbox":
        return None
    from bot.slack.worker import pending, worker_for

    action = getattr(args, "outbox_action", None)
    if action == "retry":
        return _retry(services, args.id)
    if action == "deliver":
        left = worker_for(services).drain(timeout=30)
        print(f"{left} deliveries still pending or failed")
        return 0
    rows = pending(services)
    if args.format == "json":
        print(json.dumps([_as_json(row) for row in rows], indent=2))
        return 0
    if not rows:
        print("outbox: nothing pending, nothing failed")
        return 0
    print(f"{'ID':>5}  {'STATE':<8} {'PURPOSE':<10} {'CHANNEL':<12} {'TRIES':>5}  KEY / LAST ERROR")
    for row in rows:
        print(
            f"{row.id:>5}  {row.state:<8} {row.purpose:<10} {row.channel or '-':<12} "
            f"{row.attempts:>5}  {row.dedupe_key}  {row.last_error or ''}".rstrip()
        )
    return 0


def _as_json(row: OutboxMessage) -> dict[str, object]:
    return {
        "id": row.id,
        "key": row.dedupe_key,
        "state": row.state,
        "purpose": row.purpose,
        "channel": row.channel,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def _retry(services: Services, row_id: int) -> int:
    from sqlalchemy import update

    from bot.slack.worker import worker_for
    from storage.models_outbox import OutboxMessage

    with services.db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.state == "failed")
            .values(state="pending", failures=0, next_attempt_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        row = session.get(OutboxMessage, row_id)
    if not getattr(result, "rowcount", 0) or row is None:
        print(f"finops-bot: outbox {row_id} is not a failed delivery", file=sys.stderr)
        return 2
    after = worker_for(services).deliver_keys([row.dedupe_key])[row.dedupe_key]
    state = after.state if after is not None else "gone"
    print(f"outbox {row_id}: {state} {after.last_error if after is not None else ''}".rstrip())
    return 0 if state == "delivered" else 1
