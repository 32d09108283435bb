"""Asking for a Slack message to be delivered: one row in the outbox, in the caller's session.

Domain code calls these inside the transaction that makes the change the message is about,
so the change and the promise to tell Slack commit (or roll back) together. Delivery is the
worker's job (`bot.slack.worker`). Nothing here talks to Slack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models_outbox import OutboxMessage

#: Renderers the worker knows (content `{"render": name, ...}`), see bot.slack.renderers.
REQUEST_APPROVAL = "request-approval"
REQUEST_REQUESTER = "request-requester"


def approval_key(request_id: int) -> str:
    """The outbox key of a cleanup request's approval message."""
    return f"request:{request_id}:approval"


def requester_key(request_id: int) -> str:
    """The outbox key of the requester's copy of a cleanup request."""
    return f"request:{request_id}:requester"


def find(session: Session, key: str) -> OutboxMessage | None:
    """The outbox row for `key`, read fresh."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    if row is not None:
        session.refresh(row)
    return row


def enqueue(
    session: Session,
    *,
    key: str,
    purpose: str,
    channel: str | None,
    content: dict[str, Any],
    now: datetime | None = None,
) -> OutboxMessage:
    """Deliver `content` to `channel` once (a second call with the same key changes nothing)."""
    found = find(session, key)
    if found is not None:
        return found
    row = OutboxMessage(
        dedupe_key=key,
        purpose=purpose,
        channel=channel,
        content=content,
        state="pending",
        revision=1,
        delivered_revision=0,
        attempts=0,
        failures=0,
        next_attempt_at=now or datetime.now(UTC),
        last_error="",
        created_at=now or datetime.now(UTC),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # someone else enqueued the same key meanwhile
        again = find(session, key)
        assert again is not None
        return again
    return row


def message(
    session: Session, *, key: str, purpose: str, channel: str, message: dict[str, Any]
) -> OutboxMessage:
    """Post the literal Block Kit `message` to `channel` once."""
    return enqueue(session, key=key, purpose=purpose, channel=channel, content={"message": message})


def replace(session: Session, *, key: str, message: dict[str, Any] | None = None) -> bool:
    """Show a new version of the message under `key` (chat.update once it is posted;
    posted in its latest version if it is not yet). False when there is no such message."""
    # next_attempt_at is kept: a row waiting out a Retry-After goes on waiting
    values: dict[str, Any] = {
        "revision": OutboxMessage.revision + 1,
        "state": "pending",
        "failures": 0,
    }
    if message is not None:
        values["content"] = {"message": message}
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key == key)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def request_changed(session: Session, request_id: int, *, requested_by: str) -> None:
    """A cleanup request was opened or moved: post its approval message and the
    requester's copy if not yet posted, else redraw both (rendered at delivery time)."""
    for key, render, channel, purpose in (
        (approval_key(request_id), REQUEST_APPROVAL, None, "approval"),
        (requester_key(request_id), REQUEST_REQUESTER, requested_by, "dm"),
    ):
        if purpose == "dm" and not requested_by.startswith(("U", "W")):
            continue  # the bot's own proposals have no requester to tell
        if find(session, key) is None:
            enqueue(
                session,
                key=key,
                purpose=purpose,
                channel=channel,
                content={"render": render, "request_id": request_id},
            )
        else:
            replace(session, key=key)


def pending(services: Any) -> list[OutboxMessage]:
    """Rows not delivered in their latest revision (pending) and failed ones."""
    with services.db.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.state.in_(("pending", "failed")))
                .order_by(OutboxMessage.id)
            )
        )
