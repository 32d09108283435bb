"""Answers posted to a request's `response_url`, counted like Web API calls.

Bolt's `respond` and the dispatcher's notices post to Slack's webhook URL rather than the
Web API, so `CountingWebClient` never sees them. They are counted here under the method
name `response_url` in `finops_slack_deliveries_total`: delivered (HTTP 200), rate_limited
(429) or failed (any other status, or no answer).
"""

from __future__ import annotations

from typing import Any

from bot.observability.metrics import count_delivery

METHOD = "response_url"


def count_webhook(status: int | None) -> None:
    """One post to a response_url answered with `status` (None: it did not get one)."""
    if status == 200:
        count_delivery(METHOD, "delivered")
    elif status == 429:
        count_delivery(METHOD, "rate_limited")
    else:
        count_delivery(METHOD, "failed")


class CountingRespond:
    """Bolt's `respond`, counting each post's outcome (otherwise the same callable)."""

    def __init__(self, respond: Any) -> None:
        self._respond = respond

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            answer = self._respond(*args, **kwargs)
        except Exception:
            count_webhook(None)
            raise
        count_webhook(getattr(answer, "status_code", None))
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._respond, name)
