"""The `/cost` cache: Cost Explorer daily results and forecasts.

Amounts are stored as decimal text, so SQLite and PostgreSQL both keep them exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class CostDay(Base):
    """That one day of one cached query (a slice) was fetched, when, and whether estimated."""

    __tablename__ = "cost_days"

    slice_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)


class CostRow(Base):
    """One day's cost for one pair of group values (key2 is "" for a one-way grouping)."""

    __tablename__ = "cost_rows"
    __table_args__ = (Index("ix_cost_rows_slice_day", "slice_key", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slice_key: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    key1: Mapped[str] = mapped_column(String(512), default="")
    key2: Mapped[str] = mapped_column(String(512), default="")
    amount: Mapped[str] = mapped_column(String(64))


class CostForecast(Base):
    """A month-end forecast for one filter set, made on one day (amount None: unavailable)."""

    __tablename__ = "cost_forecasts"

    forecast_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    made_on: Mapped[date] = mapped_column(Date, primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    amount: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    note: Mapped[str] = mapped_column(String(512), default="")
