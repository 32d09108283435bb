"""The status report's sections over shared tables: the inventory's age and the outbox.

Read with plain SQL so that the status knows no domain package; a table an older schema
does not have yet gives no section.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bot.observability.status import SECTIONS, StatusSection
from bot.services import Services

log = logging.getLogger(__name__)


def _rows(services: Services, sql: str) -> list[Any] | None:
    try:
        with services.db.engine.connect() as connection:
            return list(connection.execute(text(sql)))
    except Exception as exc:
        log.debug("status section skipped: %s", exc)
        return None


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _age(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "never scanned"
    minutes = int((now - moment).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def inventory_section(services: Services) -> StatusSection | None:
    """The inventory's age per account and region, with failing targets."""
    rows = _rows(
        services,
        "SELECT account, region, MIN(scanned_at), SUM(CASE WHEN error IS NULL THEN 0 ELSE 1 END)"
        " FROM inventory_targets GROUP BY account, region ORDER BY account, region",
    )
    if not rows:
        return None
    now = services.now()
    lines, data = [], []
    for account, region, oldest, failing in rows:
        moment = _aware(oldest)
        note = f", {int(failing)} failing" if failing else ""
        lines.append(f"{account} {region}: oldest scan {_age(now, moment)} ago{note}")
        data.append(
            {
                "account": account,
                "region": region,
                "oldest_scan": moment.isoformat() if moment else None,
                "failing": int(failing or 0),
            }
        )
    return StatusSection("Inventory", lines, {"targets": data})


def outbox_section(services: Services) -> StatusSection | None:
    """Pending and failed Slack deliveries."""
    rows = _rows(services, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
    if rows is None:
        return None
    counts = {str(state): int(n) for state, n in rows}
    pending, failed = counts.get("pending", 0), counts.get("failed", 0)
    line = f"{pending} pending, {failed} failed"
    if failed:
        line += " (see `finops-bot outbox`)"
    return StatusSection("Slack deliveries", [line], {"pending": pending, "failed": failed})


SECTIONS.extend([inventory_section, outbox_section])
