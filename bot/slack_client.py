"""The Slack Web API client recipe lives in `bot.slack.outbound` (the one outbound module)."""

from __future__ import annotations

from bot.slack.outbound import make_web_client

__all__ = ["make_web_client"]
