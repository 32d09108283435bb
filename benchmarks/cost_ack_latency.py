"""Ack latency of `/cost` over HTTP: 200 signed requests, 8 at a time.

The bot runs as in production (waitress, Bolt, `start_http_in_thread`) with the local
Slack console as Slack (it signs each request and serves the response_url and the files
API) and the Cost Explorer stand-in. Latency is measured at the sender, from the POST
to the HTTP answer (the ack, which Slack needs within 3 s); the answers themselves
arrive later through response_url and are counted too.

    .venv/bin/python benchmarks/cost_ack_latency.py
"""

from __future__ import annotations

import logging
import multiprocessing
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from cost_common import TEAMS, setup_environment

REQUESTS = 200
CONCURRENCY = 8
WARMUP = 8
TODAY = date(2025, 3, 18)
QUESTIONS = (
    "/cost team={t}",
    "/cost team={t} period=30d by=region",
    "/cost by=team period=last-month",
    "/cost team={t} period=7d",
    "/cost team=paymnts",  # a typo: answered in the ack itself
)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def serve_bot(api_url: str, secret: str, ready: Any, stop: Any) -> None:
    """The bot's own process: Cost Explorer stand-in, database, HTTP server (as deployed)."""
    logging.basicConfig(level=logging.WARNING)
    from bot.config import Settings
    from bot.server import start_http_in_thread
    from bot.services import build_services

    ce, _workdir = setup_environment(TODAY)
    env = Settings.from_env()
    settings = Settings(
        slack_bot_token=_secret("xoxb-bench"),
        slack_signing_secret=_secret(secret),
        slack_app_token=None,
        slack_api_url=api_url,
        database_url=env.database_url,
        config_path=env.config_path,
        port=0,
    )
    services = build_services(settings)
    services.now = lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=UTC)
    server = start_http_in_thread(services)
    ready.put((server.url, ce.url))
    stop.wait()
    ready.put(ce.request_count)
    server.stop()
    ce.stop()
    services.db.dispose()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    from standins.slack_console import SlackConsole

    secret = "bench-signing-secret"
    console = SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=secret,
        bot_token="xoxb-bench",
        channels={"C0FINOPS": "finops"},
        users={"U0DEV": {"name": "sam", "email": "sam@example.com"}},
    )
    console.start()
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    bot = context.Process(target=serve_bot, args=(console.api_url, secret, ready, stop))
    bot.start()
    bot_url, _ce_url = ready.get(timeout=60)
    console.bot_url = f"{bot_url}/slack/events"

    def messages_for(numbers: range) -> int:
        """Each question gets an ack ("Adding up costs…") and its answer; a typo just its ack."""
        return sum(1 if "paymnts" in QUESTIONS[n % len(QUESTIONS)] else 2 for n in numbers)

    def send(n: int) -> float:
        text = QUESTIONS[n % len(QUESTIONS)].format(t=TEAMS[n % len(TEAMS)])
        started = time.perf_counter()
        delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text=text)
        elapsed = time.perf_counter() - started
        if delivery.status != 200:
            raise RuntimeError(f"{text}: HTTP {delivery.status} {delivery.error}")
        return elapsed

    try:
        for n in range(WARMUP):  # fills the cache, like the first questions of a day
            send(n)
        before = messages_for(range(WARMUP))
        console.wait_for(lambda: len(console.ephemerals("U0DEV")) >= before, timeout=60)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            latencies = list(pool.map(send, range(REQUESTS)))
        acked = time.perf_counter() - started
        expected = before + messages_for(range(REQUESTS))
        console.wait_for(lambda: len(console.ephemerals("U0DEV")) >= expected, timeout=120)
        answered = time.perf_counter() - started
    finally:
        stop.set()
    requests_made = ready.get(timeout=30)
    bot.join(timeout=30)
    console.stop()
    ms = [v * 1000 for v in latencies]
    print(
        f"/cost ack latency, {REQUESTS} signed requests over HTTP, {CONCURRENCY} at a time "
        "(bot in its own process):"
    )
    print(
        f"  p50 {statistics.median(ms):.1f} ms   p95 {percentile(ms, 95):.1f} ms   "
        f"max {max(ms):.1f} ms   (target: p95 < 50 ms)"
    )
    print(f"  all acked in {acked:.2f} s; all {REQUESTS} answers delivered in {answered:.2f} s")
    print(f"  Cost Explorer requests in the whole run, warm-up included: {requests_made}")


def _secret(value: str):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(value)


if __name__ == "__main__":
    main()
