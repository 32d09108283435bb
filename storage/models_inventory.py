"""The findings inventory: one row per scanned (account, region, kind) target.

The row holds the target's last good findings (JSON, as `Finding.to_json`), when they
were scanned, the last error (kept beside the last good findings), and the claim of the
worker scanning it now (`claimed_by` until `claimed_until`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class InventoryTarget(Base):
    """The stored scan of one kind in one account and region."""

    __tablename__ = "inventory_targets"
    __table_args__ = (UniqueConstraint("account", "region", "kind", name="uq_inventory_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Set when an action changed a resource here: refresh at the next chance.
    stale: Mapped[bool] = mapped_column(default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Bumped by every finished scan (joiners wait for it to move).
    generation: Mapped[int] = mapped_column(Integer, default=0)
