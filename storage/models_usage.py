"""The bot's own billed AWS API use, per month and API (for `/finops status`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class ApiUsage(Base):
    """Requests, units and dollars of one API in one month, summed over every process."""

    __tablename__ = "api_usage"
    __table_args__ = (UniqueConstraint("month", "api", name="uq_api_usage_month_api"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    api: Mapped[str] = mapped_column(String(32))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    dollars: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
