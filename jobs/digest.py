"""The weekly digest job: one digest per ISO week to `digest.channel` (key
`digest:2026-W48`), and with `digest.team_channels` each team's part to its channel
(`digest:2026-W48:payments`), even if the job runs twice."""

from __future__ import annotations

import logging

from bot.cost.chart import daily_chart
from bot.digest.report import Digest, build_digest
from bot.render.digest import digest_message
from bot.services import Services
from bot.slack.outbound import Outbound, SlackFailure
from jobs.posting import find_posted, post_once, web_client
from jobs.registry import scheduled

log = logging.getLogger(__name__)


@scheduled("digest", trigger="cron", day_of_week="mon", hour=9, minute=0)
def digest_job(services: Services) -> str:
    """Post the weekly digest (spend, budgets, movers, anomalies, savings) once a week."""
    config = services.config
    if config.digest is None:
        return "no digest channel configured (digest.channel)"
    week_key = f"digest:{build_week(services)}"
    targets: list[tuple[str, str, str | None]] = [(week_key, config.digest.channel, None)]
    if config.digest.team_channels:
        targets += [
            (f"{week_key}:{name}", team.channel, name)
            for name, team in sorted(config.teams.items())
        ]
    if all(find_posted(services, key) is not None for key, _, _ in targets):
        return "already posted this week"
    client = web_client(services)
    digest = build_digest(services)
    chart = _chart(client, digest)
    posted = []
    for key, channel, team in targets:
        message = digest_message(digest, team=team, chart_file_id=None if team else chart)
        alert = post_once(
            services,
            client,
            key=key,
            kind="digest",
            channel=channel,
            team=team,
            message=message,
            detail={"week": digest.week},
        )
        if alert is not None:
            posted.append(team or "digest")
    return f"posted {', '.join(posted)}" if posted else "already posted this week"


def _chart(outbound: Outbound, digest: Digest) -> str | None:
    """Upload the 14-day daily cost chart privately; its file id (None when it fails)."""
    if not digest.daily:
        return None
    title = f"Daily cost, {digest.daily[0][0]:%d %b} to {digest.daily[-1][0]:%d %b}"
    try:
        png = daily_chart(digest.daily, title=title, currency=digest.currency)
        return outbound.upload_file(content=png, filename="weekly-cost.png", title=title)
    except (SlackFailure, OSError, ValueError) as exc:
        log.warning("digest chart upload failed: %s", exc)
        return None


def build_week(services: Services) -> str:
    """The ISO week of today (`2026-W48`)."""
    year, week, _ = services.now().date().isocalendar()
    return f"{year}-W{week:02d}"
