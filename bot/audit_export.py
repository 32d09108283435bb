"""`finops-bot audit`: the remediation audit log for auditors and scripts (JSON or CSV)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from storage.db import Database
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
    "requested_by",
    "decided_by",
    "monthly_saving",
    "result",
    "detail",
)


def parse_since(text: str) -> datetime:
    """`2026-11-01` (midnight UTC) or an ISO datetime; ValueError with a clear message."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def events(db: Database, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every audit event (oldest first) as plain JSON-safe dicts."""
    query = select(RemediationEvent).order_by(RemediationEvent.id)
    if since is not None:
        query = query.where(RemediationEvent.at >= since)
    with db.session() as session:
        rows = list(session.scalars(query))
    return [
        {
            "at": _iso(row.at),
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
        }
        for row in rows
    ]


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """The events as a JSON array or CSV (nested values as JSON text)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, sort_keys=False)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(row[k]) if k == "detail" else row[k] for k in COLUMNS})
    return out.getvalue()
