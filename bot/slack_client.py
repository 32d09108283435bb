"""The one Slack Web API client recipe: the bot token, `SLACK_API_URL`, rate-limit retries."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings


def make_web_client(settings: Settings) -> WebClient:
    """A WebClient for `settings` (no token when none is set; calls then fail with not_authed)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client
