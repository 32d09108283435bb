"""From stored anomalies to the view the renderer draws (shared by the job and the buttons)."""

from __future__ import annotations

from typing import Any

from bot.render.anomalies import AnomalyView
from storage.models_alerts import Anomaly


def view_of(record: Anomaly, detail: dict[str, Any]) -> AnomalyView:
    """The message content of a stored anomaly and its posted detail."""
    return AnomalyView(
        anomaly_id=record.id,
        team=record.team,
        service=record.service,
        account=record.account,
        first_day=record.first_day,
        last_day=record.last_day,
        expected=record.expected,
        actual=record.actual,
        impact=record.impact,
        status=record.status,
        feedback_by=record.feedback_by,
        days=list(detail.get("days", [])),
        contributors=list(detail.get("contributors", [])),
        recommendations=list(detail.get("recommendations", [])),
        commands=list(detail.get("commands", [])),
        phase=record.phase or "active",
        tuning=str(detail.get("tuning", "")),
    )
