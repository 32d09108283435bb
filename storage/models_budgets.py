"""Team budgets set with `/budget set` (they override `teams.X.monthly_budget`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class TeamBudget(Base):
    """The monthly budget of one team, as last set in Slack."""

    __tablename__ = "team_budgets"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
