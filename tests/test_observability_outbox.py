"""`/metrics` after a 429 from the console stand-in: the outbox's deliveries are counted by
outcome, and the backlog gauge follows the table."""

from __future__ import annotations

import time

from prometheus_client import REGISTRY

from tests.observability_fixtures import scrape, value
from tests.outbox_fixtures import (  # noqa: F401 - fixtures
    Stack,
    approvals,
    console,
    moto_env,
    moto_url,
    request_cleanup,
    stack,
)


def _count(method: str, outcome: str) -> float:
    got = REGISTRY.get_sample_value(
        "finops_slack_deliveries_total", {"method": method, "outcome": outcome}
    )
    return got or 0.0


def test_429s_and_the_delivery_after_them_are_counted(stack: Stack) -> None:
    from bot.server import start_http_in_thread

    console = stack.console
    limited, delivered = (
        _count("chat.postMessage", "rate_limited"),
        _count("chat.postMessage", "delivered"),
    )
    volume = stack.estate.volume(100, "gp2", "payments")
    console.fail("chat.postMessage", channel="C0PAY", retry_after=1, times=3)
    request_cleanup(console, volume)
    console.wait_for(lambda: approvals(console, "C0PAY", volume), timeout=20)
    deadline = time.monotonic() + 5
    while _count("chat.postMessage", "rate_limited") < limited + 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _count("chat.postMessage", "rate_limited") == limited + 3
    assert _count("chat.postMessage", "delivered") >= delivered + 1

    running = start_http_in_thread(stack.services, token_verification=False)
    try:
        samples = scrape(running.url)
    finally:
        running.stop()
    assert (
        value(
            samples,
            "finops_slack_deliveries_total",
            method="chat.postMessage",
            outcome="rate_limited",
        )
        >= 3
    )
    assert value(samples, "finops_outbox_messages", state="delivered") >= 1
    assert value(samples, "finops_outbox_messages", state="failed") == 0
