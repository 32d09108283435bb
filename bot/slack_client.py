"""The one Slack Web API client recipe: the bot token, `SLACK_API_URL`, rate-limit retries.

Every call is counted by method and outcome (`finops_slack_deliveries_total`): delivered,
retried (a 429 answered by waiting and trying again), rate_limited (still 429 after the
retries) or failed.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

from bot.config import Settings
from bot.observability.metrics import count_delivery


class CountingWebClient(WebClient):
    """A WebClient that counts each Web API call's outcome."""

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, *args, **kwargs)
        except SlackApiError as exc:
            limited = getattr(exc.response, "status_code", None) == 429
            count_delivery(api_method, "rate_limited" if limited else "failed")
            raise
        except Exception:
            count_delivery(api_method, "failed")
            raise
        count_delivery(api_method, "delivered")
        return response


class _CountingRateLimitRetries(RateLimitErrorRetryHandler):
    """Slack's own 429 handler (waits Retry-After), counting each retry."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        method = request.url.rstrip("/").rsplit("/", 1)[-1] or "unknown"
        count_delivery(method, "retried")
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def make_web_client(settings: Settings, *, rate_limit_retries: bool = True) -> WebClient:
    """A WebClient for `settings` (no token when none is set; calls then fail with not_authed).

    The outbound module (`bot.slack.outbound`) asks for none at all (`rate_limit_retries=
    False`): the outbox honours Retry-After itself, a listener thread must not sleep through
    it, and a repeated post after a lost answer would be a duplicate.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if not rate_limit_retries:
        return CountingWebClient(
            token=token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[]
        )
    client = CountingWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(_CountingRateLimitRetries(max_retry_count=2))
    return client
