"""Observability end to end: /metrics after real commands, clicks, failures and 429s."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.render.cost import CostAction
from bot.slack_client import make_web_client
from tests.conftest import make_env
from tests.observability_fixtures import (
    bot_url,
    scrape,
    value,
)
from tests.test_cost_slack import CostSlack, ask, cost_slack  # noqa: F401
from tests.test_e2e_console import all_text


def test_metrics_follow_commands_clicks_cache_and_a_failing_cost_explorer(
    cost_slack: CostSlack,
) -> None:
    url, ce = bot_url(cost_slack), cost_slack.stack.ce
    before = scrape(url)
    answer = ask(cost_slack, "/cost team=payments period=30d")
    after = scrape(url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("finops_slack_ack_seconds_count", kind="command", command="/cost") == 1
    pages = ce.request_count
    assert pages > 0
    assert (
        delta("finops_aws_billed_requests_total", api="cost_explorer", operation="GetCostAndUsage")
        + delta(
            "finops_aws_billed_requests_total", api="cost_explorer", operation="GetCostForecast"
        )
        == pages
    )
    assert delta("finops_aws_api_dollars_total", api="cost_explorer") == pytest.approx(0.01 * pages)
    assert delta("finops_cost_cache_total", result="miss") >= 1
    assert delta("finops_answer_seconds_count", command="/cost") == 1
    assert delta("finops_requests_total", command="/cost", outcome="ok") == 1
    # the answer went back through the command's response_url, and is counted as delivered
    assert delta("finops_slack_deliveries_total", method="response_url", outcome="delivered") >= 1
    assert delta("finops_slack_deliveries_total", method="response_url", outcome="failed") == 0

    # the same question again: served from the cache, no new Cost Explorer request
    ask(cost_slack, "/cost team=payments period=30d")
    again = scrape(url)
    assert ce.request_count == pages
    assert value(again, "finops_cost_cache_total", result="hit") > value(
        after, "finops_cost_cache_total", result="hit"
    )

    # a click is timed as an interaction
    cost_slack.console.click(user_id="U0DEV", message_id=answer["id"], action_id=CostAction.SHARE)
    cost_slack.console.wait_for(lambda: cost_slack.console.messages("C0PAY"))
    clicked = scrape(url)
    assert value(
        clicked, "finops_slack_ack_seconds_count", kind="interaction", command="block_actions"
    ) == 1 + value(
        again, "finops_slack_ack_seconds_count", kind="interaction", command="block_actions"
    )
    # Cost Explorer failing: the breaker opens and /metrics says so
    assert value(clicked, "finops_circuit_breaker_state", dependency="cost_explorer") == 0
    ce.fail_next(100, "ServiceUnavailable", 503)
    for period in ("2025-01", "2024-12", "2024-11"):
        text = " ".join(all_text(ask(cost_slack, f"/cost team=search period={period}")))
        assert "Traceback" not in text
    failed = scrape(url)
    assert value(failed, "finops_circuit_breaker_state", dependency="cost_explorer") == 2
    assert value(failed, "finops_requests_total", command="/cost", outcome="failed") >= 1


def test_labels_stay_bounded_for_unknown_commands_and_junk(cost_slack: CostSlack) -> None:
    url = bot_url(cost_slack)
    for body in (
        "command=%2Fevil-12345&text=x",
        "payload=%7B%22type%22%3A%22no-such-type-999%22%7D",
        "payload=not-json",
    ):
        requests.post(
            f"{url}/slack/events",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=5,
        )
    names = {labels for (name, labels) in scrape(url) if name == "finops_slack_ack_seconds_count"}
    flat = " ".join(f"{k}={v}" for labels in names for k, v in labels)
    assert "evil" not in flat and "no-such-type" not in flat
    assert ("command", "other") in {pair for labels in names for pair in labels}


class _RateLimitedSlack(BaseHTTPRequestHandler):
    """A Web API that answers 429 (Retry-After: 0) to the first `limit` calls, then ok."""

    limit = 1
    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).calls += 1
        if type(self).calls <= type(self).limit:
            body = b'{"ok": false, "error": "ratelimited"}'
            self.send_response(429)
            self.send_header("Retry-After", "0")
        else:
            body = b'{"ok": true, "channel": "C0PAY", "ts": "1.1"}'
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def limited_slack() -> Iterator[str]:
    _RateLimitedSlack.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RateLimitedSlack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/"
    server.shutdown()


def _delivery(name: str, outcome: str) -> float:
    from prometheus_client import REGISTRY

    got = REGISTRY.get_sample_value(
        "finops_slack_deliveries_total", {"method": name, "outcome": outcome}
    )
    return got or 0.0


def test_a_429_is_counted_as_retried_then_delivered_or_rate_limited(
    limited_slack: str, config_file: Path, sqlite_url: str
) -> None:
    settings = Settings.from_env(make_env(config_file, sqlite_url, SLACK_API_URL=limited_slack))
    client = make_web_client(settings)
    retried, delivered = (
        _delivery("chat.postMessage", "retried"),
        _delivery("chat.postMessage", "delivered"),
    )
    client.chat_postMessage(channel="C0PAY", text="hello")
    assert _delivery("chat.postMessage", "retried") == retried + 1
    assert _delivery("chat.postMessage", "delivered") == delivered + 1

    _RateLimitedSlack.calls, _RateLimitedSlack.limit = 0, 10  # more 429s than retries
    limited = _delivery("chat.postMessage", "rate_limited")
    with pytest.raises(Exception, match="ratelimited"):
        client.chat_postMessage(channel="C0PAY", text="hello again")
    assert _delivery("chat.postMessage", "rate_limited") == limited + 1
    _RateLimitedSlack.limit = 1
