"""Listings through the console stand-in: a cold /orphans answers "scanning…" and is
replaced in place by the findings; Refresh joins a running refresh; Download CSV sends
every finding as plain cells; Show more pages through the stored list without a rescan."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.inventory.refresh import refresher_for
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import Estate, clear_aws_env


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield slack_stack


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or message.get("text"), ensure_ascii=False)


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return {"block_id": block["block_id"], **element}
    raise AssertionError(f"no {action_id} button")


def test_cold_orphans_then_refresh_csv_and_paging(world: SlackStack) -> None:
    console = world.console
    estate = Estate(boto3.Session(region_name="us-east-1"))
    volumes = [estate.volume(10 + i, "gp2", "payments") for i in range(24)]
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text="/orphans kind=volume")
    first = console.wait_for(lambda: console.ephemerals("U0DEV"), timeout=30)[0]
    assert "scanning…" in text_of(first) or "Waste:" in first["text"]
    final = console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if m["id"] == first["id"] and settled(m)],
        timeout=60,
    )[0]
    assert len(console.ephemerals("U0DEV")) == 1  # replaced in place, not a second answer
    assert "as of" in text_of(final) and "Refresh" in text_of(final)
    services = world.services
    scans = refresher_for(services).scans
    assert scans == 2  # the volume kind in two regions

    # Show more: the next page comes from the stored list (no scan), nothing repeated.
    more = button(final, "orphans_show_more")
    console.click(
        user_id="U0DEV",
        message_id=final["id"],
        action_id=more["action_id"],
        block_id=more["block_id"],
    )
    page2 = console.wait_for(
        lambda: [
            m
            for m in console.ephemerals("U0DEV")
            if m["id"] == final["id"] and text_of(m) != text_of(final)
        ],
        timeout=30,
    )[-1]
    first_ids = {v for v in volumes if v in text_of(final)}
    second_ids = {v for v in volumes if v in text_of(page2)}
    assert refresher_for(services).scans == scans
    assert first_ids and second_ids and not first_ids & second_ids

    # Download CSV: every finding, plain cells, in the user's DM.
    csv_button = button(page2, "listing_csv")
    console.click(
        user_id="U0DEV",
        message_id=page2["id"],
        action_id="listing_csv",
        block_id=csv_button["block_id"],
    )
    upload = console.wait_for(
        lambda: [c for c in console.calls("files.completeUploadExternal") if c["ok"]], timeout=30
    )[-1]
    assert upload
    content = console.wait_for(lambda: _csv_content(console), timeout=30)
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted(r["id"] for r in rows) == sorted(volumes)
    assert {r["kind"] for r in rows} == {"volume"} and all(
        "`" not in r["recommendation"] for r in rows
    )
    assert {"account", "region", "team", "owner", "monthly", "age_days"} <= set(rows[0])

    # Refresh: rescans both targets once, redraws the same message.
    refresh = button(page2, "listing_refresh")
    console.click(
        user_id="U0DEV",
        message_id=page2["id"],
        action_id="listing_refresh",
        block_id=refresh["block_id"],
    )
    console.click(
        user_id="U0DEV",
        message_id=page2["id"],
        action_id="listing_refresh",
        block_id=refresh["block_id"],
    )
    console.wait_for(lambda: refresher_for(services).scans >= scans + 2, timeout=60)
    console.wait_for(
        lambda: [m for m in console.ephemerals("U0DEV") if m["id"] == page2["id"] and settled(m)],
        timeout=60,
    )
    assert refresher_for(services).scans <= scans + 4  # a click during a refresh joined it


def _csv_content(console: Any) -> str | None:
    for data in console.files.values():
        if data.startswith(b"id,kind,account"):
            return str(data.decode())
    return None
