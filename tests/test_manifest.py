"""manifest.yml creates exactly the app the code needs: its commands and its scopes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from handlers import registered_commands

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

#: Web API method (as slack_sdk names it) -> bot scope it needs (None: no scope).
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "conversations_info": "channels:read",
    "conversations_members": "channels:read",
    "conversations_join": "channels:join",
    "views_open": None,
    "views_update": None,
    "views_publish": None,
    "files_upload_v2": "files:write",
    # the outbox looks for a message it may have posted before a crash (channels and DMs)
    "conversations_history": ("channels:history", "im:history"),
    "conversations_open": "im:write",
}

#: Methods the pattern also catches that are not Web API calls: boto3's, and the Socket Mode
#: connection's answer to an envelope (no scope: the app-level token covers it).
BOTO3_METHODS = {"get_paginator", "send_socket_mode_response"}
CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)[(,]")  # a call, or a method passed on


def web_api_calls() -> set[str]:
    calls: set[str] = set()
    for package in ("bot", "handlers", "jobs"):
        for path in (ROOT / package).rglob("*.py"):
            calls.update(CALL.findall(path.read_text()))
    return calls - BOTO3_METHODS


def test_manifest_lists_every_registered_command_and_nothing_else() -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == set(registered_commands())
    for command in MANIFEST["features"]["slash_commands"]:
        assert command["url"].endswith("/slack/events")


def test_manifest_scopes_are_exactly_the_ones_the_code_uses() -> None:
    calls = web_api_calls()
    unknown = calls - METHOD_SCOPES.keys()
    assert not unknown, f"add the scope these Web API methods need to METHOD_SCOPES: {unknown}"
    needed = {"commands"}
    for method in calls:
        scopes = METHOD_SCOPES[method] or ()
        needed |= {scopes} if isinstance(scopes, str) else set(scopes)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_interactivity_points_at_the_events_endpoint() -> None:
    interactivity = MANIFEST["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")


#: Events API event type -> bot scope it needs (Slack: app_home_opened needs none).
EVENT_SCOPES: dict[str, str | None] = {"app_home_opened": None}


def test_manifest_subscribes_to_exactly_the_events_the_code_listens_to() -> None:
    from handlers import EVENTS

    listened = {event for event, _ in EVENTS}
    subscriptions = MANIFEST["settings"]["event_subscriptions"]
    assert set(subscriptions["bot_events"]) == listened
    assert subscriptions["request_url"].endswith("/slack/events")
    unknown = listened - EVENT_SCOPES.keys()
    assert not unknown, f"add the scope these events need to EVENT_SCOPES: {unknown}"
    needed = {EVENT_SCOPES[e] for e in listened if EVENT_SCOPES[e]}
    assert needed <= set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # the Home tab the app publishes must be switched on
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
