"""The freshness line and buttons every listing ends with (bot.render.listing)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.listing import freshness_line, with_freshness

AT = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)


def test_the_as_of_line_says_fresh_refreshing_or_scanning() -> None:
    assert freshness_line(AT, refreshing=False) == "as of 14:05 UTC"
    assert freshness_line(AT, refreshing=True).startswith("as of 14:05 UTC, refreshing…")
    assert freshness_line(None, refreshing=True).startswith("scanning…")
    failed = freshness_line(AT, refreshing=False, failures=2)
    assert failed == "as of 14:05 UTC · 2 target(s) failed: last good findings shown"


def test_every_listing_ends_with_the_line_refresh_and_csv() -> None:
    message = with_freshness(
        {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 60},
        command="/orphans",
        text="team=payments",
        as_of=AT,
        refreshing=True,
    )
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert "refreshing…" in blocks[-2]["elements"][0]["text"]
    actions = [e["action_id"] for e in blocks[-1]["elements"]]
    assert actions == ["listing_refresh", "listing_csv"]
    assert blocks[-1]["elements"][0]["text"]["text"] == "Refreshing…"
