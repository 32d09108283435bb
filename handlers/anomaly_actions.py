"""Buttons on anomaly alerts: "Expected", "Not an anomaly" and "Investigating".

The answer is stored on the anomaly and audited, and shown in the message itself. An
expected one is never alerted again and its level becomes the series' normal; "not an
anomaly" widens the series' threshold for that kind of deviation (see
bot.anomalies.service.tuning_for).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.anomalies import service as anomalies
from bot.anomalies.messages import view_of
from bot.payloads import AnomalyButton
from bot.render.anomalies import AnomalyAction, anomaly_message
from bot.render.common import error_message
from bot.services import Services
from jobs.anomalies import anomaly_record
from jobs.posting import update_posted

log = logging.getLogger(__name__)

_STATUS = {
    AnomalyAction.EXPECTED.value: "expected",
    AnomalyAction.NOT_ANOMALY.value: "not_anomaly",
    AnomalyAction.INVESTIGATING.value: "investigating",
}


def handle_anomaly_feedback(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    value: AnomalyButton,
) -> None:
    """Store the clicked answer and redraw the alert with it."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    status = _STATUS[action["action_id"]]
    anomaly_id = value.id
    record = anomalies.answer(services, anomaly_id, status=status, user=user)
    found = anomaly_record(services, anomaly_id) if record is not None else None
    if found is None:
        respond(
            replace_original=False,
            response_type="ephemeral",
            **error_message("That anomaly is no longer known to the bot."),
        )
        return
    record, posted = found
    message = anomaly_message(view_of(record, posted.detail))
    if not update_posted(services, None, key=posted.dedupe_key, message=message):
        log.warning("could not redraw anomaly %s: no message to update", anomaly_id)
        respond(
            replace_original=False,
            response_type="ephemeral",
            text=f"Saved: {status.replace('_', ' ')}. (The message could not be updated.)",
        )
