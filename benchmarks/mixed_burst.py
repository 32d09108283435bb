"""Mixed burst: 40 signed slash commands, 8 at a time, against the demo estate.

The bot runs in its own process as deployed (waitress, Bolt, the answer pool) on the demo
estate in a moto server, with the Cost Explorer stand-in. This process is Slack: the local
console signs every command and serves the response_urls. The 40 commands rotate
`/orphans`, `/savings`, `/tags`, `/rightsize`, `/storage`, `/compute` and two `/cost`
questions. The burst runs twice: first on a just-started bot (cold: nothing scanned or
cached yet), then again (warm).

Reported per burst: ack latency at the sender (POST to HTTP answer; Slack needs it within
3 s), answer latency (POST until the command's real answer reached its response_url:
the first post that is not a progress or "busy" line), whether every command's real
answer was delivered, and the AWS API calls the bot made during the burst (counted in the
bot's process, per service and operation).

    .venv/bin/python benchmarks/mixed_burst.py
"""

from __future__ import annotations

import argparse
import collections
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMMANDS = (
    "/orphans",
    "/savings",
    "/tags",
    "/rightsize",
    "/storage",
    "/compute",
    "/cost team=payments period=last-month",
    "/cost team=search period=30d",
)
REQUESTS = 40
CONCURRENCY = 8
USER = "U0DEV"
CHANNEL = "C0FINOPS"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# ------------------------------------------------------------------ AWS's process
def serve_moto(ready: Any, stop: Any) -> None:
    """A moto server in its own process, as AWS is in production: not the bot's CPU."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update({"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_ACCOUNT_ID": "111111111111"})
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    ready.put(f"http://{host}:{port}")
    stop.wait()
    moto.stop()


# ------------------------------------------------------------------ the bot's process
def serve_bot(api_url: str, aws_url: str, secret: str, replies: Any, orders: Any) -> None:
    """The bot over HTTP on the demo estate (seeded into `aws_url`), with the CE stand-in."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    workdir = tempfile.mkdtemp(prefix="finops-burst-")
    from bot.demo.runner import DEMO_BOT_TOKEN, DEMO_CONFIG, _demo_environment

    env = _demo_environment(workdir, secret)
    env["SLACK_API_URL"] = api_url
    os.environ.update(env)
    calls = _count_aws_calls()

    from datetime import UTC, datetime

    import boto3

    from bot.config import Settings
    from bot.server import start_http_in_thread
    from bot.services import build_services
    from standins.cost_explorer import CostExplorerStandin
    from standins.demo_data import demo_line_items
    from standins.demo_estate import seed_demo_estate

    assert DEMO_BOT_TOKEN and DEMO_CONFIG
    now = datetime.now(UTC)
    os.environ["AWS_ENDPOINT_URL"] = aws_url
    seed_demo_estate(
        session=boto3.Session(region_name="us-east-1"),
        regions=("us-east-1", "eu-west-1"),
        now=now,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    )
    ce = CostExplorerStandin(demo_line_items(today=now.date()), today=now.date())
    os.environ["AWS_ENDPOINT_URL_COST_EXPLORER"] = ce.start()
    services = build_services(Settings.from_env())
    server = start_http_in_thread(services)
    calls.clear()  # seeding is not the bot's work
    replies.put(server.url)
    while True:
        order = orders.get()
        if order == "calls":
            replies.put(dict(calls))
        elif order == "stop":
            break
    server.stop()
    ce.stop()


def _count_aws_calls() -> collections.Counter[str]:
    """Count every botocore API call made in this process, as `service:Operation`."""
    from botocore.client import BaseClient

    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        with lock:
            calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    return calls


# ------------------------------------------------------------------ Slack's process
class AnswerClock:
    """When each command's response_url first received its real answer."""

    def __init__(self, console: Any) -> None:
        import standins.slack_console.wsgi as console_wsgi

        self.posts: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)
        self._local = threading.local()
        self._lock = threading.Lock()
        original_use = console_wsgi.use_response_url
        original_url = console._response_url

        def use_response_url(state: Any, response_id: str, body: dict[str, Any]) -> Any:
            with self._lock:
                self.posts[response_id].append((time.perf_counter(), str(body.get("text", ""))))
            return original_use(state, response_id, body)

        def response_url(target: Any) -> str:
            url = str(original_url(target))
            self._local.rid = url.rsplit("/", 1)[-1]
            return url

        console_wsgi.use_response_url = use_response_url
        console._response_url = response_url

    def last_rid(self) -> str:
        return str(self._local.rid)

    def answered_at(self, rid: str) -> float | None:
        with self._lock:
            for at, text in self.posts.get(rid, []):
                if is_real_answer(text):
                    return at
        return None


def is_real_answer(text: str) -> bool:
    """Not a progress line ("Looking for waste…") or a busy notice."""
    stripped = text.strip()
    return (
        bool(stripped)
        and not stripped.endswith("…")
        and not stripped.startswith((":hourglass:", "busy"))
    )


def burst(
    console: Any, clock: AnswerClock, label: str, orders: Any, replies: Any, wait: float
) -> None:
    orders.put("calls")
    calls_before = replies.get(timeout=30)
    sent: dict[int, tuple[float, str, str]] = {}

    def send(n: int) -> float:
        text = COMMANDS[n % len(COMMANDS)]
        started = time.perf_counter()
        delivery = console.send_command(user_id=USER, channel_id=CHANNEL, text=text)
        elapsed = time.perf_counter() - started
        sent[n] = (started, clock.last_rid(), text)
        if delivery.status != 200:
            print(f"  {text}: HTTP {delivery.status} {delivery.error} {delivery.body[:80]}")
        elif "does not know" in delivery.body:
            print(f"  {text}: answered by the catch-all: {delivery.body[:80]}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        acks = [v * 1000 for v in pool.map(send, range(REQUESTS))]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if all(clock.answered_at(rid) is not None for _, rid, _ in sent.values()):
            break
        time.sleep(0.1)
    total = time.perf_counter() - started
    answers: list[float] = []
    missing: list[str] = []
    per_command: dict[str, list[float]] = collections.defaultdict(list)
    for at, rid, text in sent.values():
        done = clock.answered_at(rid)
        if done is None:
            missing.append(text)
            continue
        answers.append((done - at) * 1000)
        per_command[text].append((done - at) * 1000)
    orders.put("calls")
    calls_after = replies.get(timeout=30)
    made = collections.Counter(calls_after) - collections.Counter(calls_before)
    print(f"\n{label}: {REQUESTS} signed commands, {CONCURRENCY} at a time (bot in own process)")
    print(
        f"  ack     p50 {statistics.median(acks):7.1f} ms   p95 {percentile(acks, 95):7.1f} ms   "
        f"max {max(acks):7.1f} ms   (target: p95 < 50 ms, max < 500 ms)"
    )
    if answers:
        print(
            f"  answer  p50 {statistics.median(answers):7.1f} ms   p95 "
            f"{percentile(answers, 95):7.1f} ms   max {max(answers):7.1f} ms"
        )
    print(
        f"  real answers delivered: {len(answers)}/{REQUESTS}"
        + (f" (missing: {collections.Counter(missing)})" if missing else "")
        + f"; whole burst {total:.1f} s"
    )
    for text, values in sorted(per_command.items()):
        print(f"    {text:40s} answer median {statistics.median(values):7.0f} ms")
    for _, rid, text in sent.values() if missing else ():
        if clock.answered_at(rid) is None:
            posts = [post[1][:50] for post in clock.posts.get(rid, [])]
            print(f"    no answer for {text}: posts {posts}")
    print(f"  AWS calls during the burst: {sum(made.values())}")
    for name, count in sorted(made.items()):
        print(f"    {name:45s} {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=2, help="bursts to run (first is cold)")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for answers")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import secrets

    from bot.demo.runner import DEMO_BOT_TOKEN, DEMO_CHANNELS, DEMO_USERS
    from standins.slack_console import SlackConsole

    secret = secrets.token_hex(16)
    console = SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=secret,
        bot_token=DEMO_BOT_TOKEN,
        channels=DEMO_CHANNELS,
        users=DEMO_USERS,
    )
    console.start()
    clock = AnswerClock(console)
    context = multiprocessing.get_context("spawn")
    moto_ready, moto_stop = context.Queue(), context.Event()
    moto = context.Process(target=serve_moto, args=(moto_ready, moto_stop))
    moto.start()
    aws_url = moto_ready.get(timeout=120)
    replies, orders = context.Queue(), context.Queue()
    bot = context.Process(
        target=serve_bot, args=(console.api_url, aws_url, secret, replies, orders)
    )
    bot.start()
    try:
        console.bot_url = f"{replies.get(timeout=180)}/slack/events"
        for number in range(options.bursts):
            label = "cold burst" if number == 0 else "warm burst"
            burst(console, clock, label, orders, replies, options.wait)
    finally:
        orders.put("stop")
        bot.join(timeout=30)
        moto_stop.set()
        moto.join(timeout=30)
        console.stop()


if __name__ == "__main__":
    main()
