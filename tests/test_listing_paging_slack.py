"""Every listing pages through the same stored list: /storage and /savings through the
console stand-in, two pages that together hold every finding exactly once, no rescan."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bot.inventory.refresh import refresher_for
from bot.render.listing import PAGE_SIZE
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import Estate, clear_aws_env
from tests.test_inventory_slack import button, text_of


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield slack_stack


@pytest.mark.parametrize("command", ["/storage", "/savings"])
def test_two_pages_hold_every_finding_once(world: SlackStack, command: str) -> None:
    console = world.console
    estate = Estate(boto3.Session(region_name="us-east-1"))
    volumes = [estate.volume(100 + i, "gp2", "payments") for i in range(PAGE_SIZE + 4)]
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text=command)
    first = console.wait_for(lambda: console.ephemerals("U0DEV"), timeout=30)[0]
    final = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if m["id"] == first["id"] and settled(m)],
        timeout=90,
    )[0]
    scans = refresher_for(world.services).scans
    page1 = text_of(final)
    assert "…and" not in page1 and f"Showing 1 to {PAGE_SIZE} of {len(volumes)}" in page1

    more = button(final, "listing_show_more")
    assert more["text"]["text"] == "Show more (4 left)"
    console.click(
        user_id="U0DEV",
        message_id=final["id"],
        action_id=more["action_id"],
        block_id=more["block_id"],
    )
    second = console.wait_for(
        lambda: [
            m for m in console.ephemerals("U0DEV") if m["id"] == final["id"] and text_of(m) != page1
        ],
        timeout=30,
    )[-1]
    page2 = text_of(second)
    assert refresher_for(world.services).scans == scans  # read from the stored list
    on_first = {v for v in volumes if v in page1}
    on_second = {v for v in volumes if v in page2}
    assert len(on_first) == PAGE_SIZE and len(on_second) == 4
    assert on_first | on_second == set(volumes) and not on_first & on_second
    assert f"Showing {PAGE_SIZE + 1} to {len(volumes)} of {len(volumes)}" in page2
    with pytest.raises(AssertionError):
        button(second, "listing_show_more")  # the last page
    assert "listing_refresh" in page2 and "listing_csv" in page2
