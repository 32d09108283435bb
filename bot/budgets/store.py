"""Budgets: `teams.X.monthly_budget` from the config, overridden by `/budget set`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.args import ArgumentError, suggest
from bot.config import FinopsConfig
from bot.services import Services
from storage import audit
from storage.models_budgets import TeamBudget

CENTS = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")
_AMOUNT = re.compile(r"^(\d{1,3}(,\d{3})+|\d{1,3}(_\d{3})+|\d+)(\.\d+)?$")


@dataclass(frozen=True)
class Budget:
    """A team's monthly budget and where it comes from (`config` or `slack`)."""

    team: str
    amount: Decimal | None
    source: str
    set_by: str | None = None


def budgets(db_session: Session, config: FinopsConfig) -> dict[str, Budget]:
    """Every configured team's effective budget (a `/budget set` wins over the config)."""
    stored = {row.team: row for row in db_session.scalars(select(TeamBudget))}
    result: dict[str, Budget] = {}
    for team in config.team_names():
        row = stored.get(team)
        if row is not None:
            result[team] = Budget(team, Decimal(row.amount), "slack", row.set_by)
        else:
            result[team] = Budget(team, config.teams[team].monthly_budget, "config")
    return result


def parse_amount(text: str) -> Decimal:
    """`12000`, `12,000`, `$12,000.50` → Decimal; ArgumentError with an example otherwise."""
    cleaned = text.strip().removeprefix("$")
    try:
        # Thousands separators only where they belong: `12,000` yes, `1,2,3` no.
        amount = Decimal(cleaned.replace(",", "").replace("_", ""))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not _AMOUNT.match(cleaned):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        raise ArgumentError(
            f'"{text}" is not a budget: give a positive amount in dollars, like `amount=12000`.'
        )
    return amount.quantize(CENTS)


def check_team(config: FinopsConfig, team: str) -> str:
    """The configured team `team` (case-insensitive), or ArgumentError with a suggestion."""
    name = team.strip().lower()
    if name not in config.teams:
        known = config.team_names()
        raise ArgumentError(
            f'Unknown team "{team}"{suggest(name, known) or "."} '
            f"Teams: {', '.join(known) or 'none configured'}."
        )
    return name


def set_budget(
    db_session: Session,
    *,
    team: str,
    amount: Decimal,
    user: str,
    now: datetime,
    previous: Decimal | None,
) -> None:
    """Store `team`'s new monthly budget and audit who changed it from what."""
    row = db_session.get(TeamBudget, team)
    if row is None:
        db_session.add(TeamBudget(team=team, amount=amount, set_by=user, set_at=now))
    else:
        row.amount, row.set_by, row.set_at = amount, user, now
    audit.record(
        db_session,
        actor=user,
        action="budget.set",
        subject=f"team:{team}",
        amount=str(amount),
        previous=str(previous) if previous is not None else None,
    )


def change_budget(services: Services, *, team: str, amount: Decimal, user: str) -> Decimal | None:
    """`/budget set`: store `team`'s new budget (audited) in one transaction; the previous
    amount (None when there was none)."""
    with services.db.session() as session:
        previous = budgets(session, services.config)[team].amount
        set_budget(
            session, team=team, amount=amount, user=user, now=services.now(), previous=previous
        )
    return previous
