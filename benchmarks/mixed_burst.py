"""Mixed burst: 40 signed slash commands, 8 at a time, against the demo estate.

The bot runs as `finops-bot serve` does (waitress and Bolt acking in one process, its
answer process answering; FINOPS_ANSWER_PROCESS=0 for one process) on the demo
estate in a moto server, which shares a process with the Cost Explorer stand-in (AWS is
not the bot's CPU). This process is Slack's console: it makes the signed commands (with
their response_urls) and serves the response_urls; a fourth process sends them, 8 at a
time, as Slack's senders are not its message store. The 40 commands rotate `/orphans`,
`/savings`, `/tags`, `/rightsize`, `/storage`, `/compute` and two `/cost` questions. The
burst runs twice: first on a just-started bot (cold: nothing scanned or cached yet), then
again (warm).

Reported per burst: ack latency at the sender (POST to HTTP answer; Slack needs it within
3 s), answer latency (POST until the command's real answer reached its response_url:
the first post that is not a progress or "busy" line), whether every command's real
answer was delivered, and the AWS API calls the bot made during the burst (counted in the
bot's process, per service and operation). Measured inside the bot, and independent of
what else the machine runs: the CPU of each ack's WSGI call, of each answer job, and of
the whole process during the burst (the wall times beside them are not).

    .venv/bin/python benchmarks/mixed_burst.py [--without /tags] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from burst_processes import serve_bot, serve_moto, serve_sender

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


# ------------------------------------------------------------------ Slack's process
class AnswerClock:
    """When each command's response_url first received its real answer."""

    def __init__(self) -> None:
        import standins.slack_console.wsgi as console_wsgi

        self.posts: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)
        self._lock = threading.Lock()
        original_use = console_wsgi.use_response_url

        def use_response_url(state: Any, response_id: str, body: dict[str, Any]) -> Any:
            with self._lock:
                self.posts[response_id].append((time.perf_counter(), json.dumps(body)))
            return original_use(state, response_id, body)

        console_wsgi.use_response_url = use_response_url

    def answered_at(self, rid: str) -> float | None:
        with self._lock:
            for at, text in self.posts.get(rid, []):
                if is_real_answer(text):
                    return at
        return None


def command_post(console: Any, text: str) -> tuple[dict[str, str], Any, str]:
    """A slash command's form fields as the console sends them, its response target and
    response id (what `console.send_command` does before posting)."""
    from standins.slack_console.delivery import command_fields
    from standins.slack_console.state import ResponseTarget

    command, _, rest = text.partition(" ")
    with console.state.lock:
        target = ResponseTarget(user_id=USER, channel_id=CHANNEL)
        url = console._response_url(target)
        fields = command_fields(
            console.state,
            user_id=USER,
            channel_id=CHANNEL,
            command=command,
            text=rest.strip(),
            response_url=url,
            trigger_id=console.new_trigger(USER),
        )
    return fields, target, url.rsplit("/", 1)[-1]


#: Words of an answer that stands in for the real one and is replaced when that lands: a
#: listing with nothing stored yet ("scanning…") or being refreshed, a cost answer still
#: fetching.
PLACEHOLDERS = ("this answer updates when", "this answer will update")


def is_real_answer(posted: str) -> bool:
    """Not a progress line ("Looking for waste…"), a busy notice, or a placeholder answer
    (`posted` is the JSON of the whole post: its text and its blocks)."""
    body = json.loads(posted)
    stripped = str(body.get("text", "")).strip()
    return (
        bool(stripped)
        and not stripped.endswith("…")
        and not stripped.startswith((":hourglass:", "busy"))
        and not any(words in posted for words in PLACEHOLDERS)
    )


def burst(
    console: Any,
    clock: AnswerClock,
    label: str,
    bot: tuple[Any, Any],
    sender: tuple[Any, Any],
    wait: float,
) -> None:
    orders, replies = bot
    orders.put("calls")
    calls_before = replies.get(timeout=30)
    orders.put("phases")
    replies.get(timeout=30)  # start the bot's phase clock afresh
    texts = [COMMANDS[n % len(COMMANDS)] for n in range(REQUESTS)]
    posts = [command_post(console, text) for text in texts]
    started = time.perf_counter()
    sender[0].put((console.bot_url, console.signing_secret, [p[0] for p in posts], CONCURRENCY))
    results = sender[1].get(timeout=300)
    sent: dict[int, tuple[float, str, str]] = {}
    acks: list[float] = []
    for n, ((_, target, rid), (at, seconds, delivery)) in enumerate(
        zip(posts, results, strict=True)
    ):
        text = texts[n]
        console._record(delivery, target, label=text.split()[0], ack_message=True)
        sent[n] = (at, rid, text)
        acks.append(seconds * 1000)
        if delivery.status != 200:
            print(f"  {text}: HTTP {delivery.status} {delivery.error} {delivery.body[:80]}")
        elif "does not know" in delivery.body:
            print(f"  {text}: answered by the catch-all: {delivery.body[:80]}")
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
    orders.put("phases")
    phases = replies.get(timeout=30)
    made = collections.Counter(calls_after) - collections.Counter(calls_before)
    print(
        f"\n{label}: {REQUESTS} signed commands, {CONCURRENCY} at a time "
        "(bot, senders, Slack console, moto + Cost Explorer each in their own process)"
    )
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
    server_walls = [wall * 1000 for wall, _ in phases["acks"]]
    server_cpus = [cpu * 1000 for _, cpu in phases["acks"]]
    if server_walls:
        print(
            f"  in the bot: ack (WSGI call) wall p50 {statistics.median(server_walls):.1f} ms, "
            f"p95 {percentile(server_walls, 95):.1f} ms; its thread's CPU p50 "
            f"{statistics.median(server_cpus):.1f} ms, p95 {percentile(server_cpus, 95):.1f} ms"
        )
    print(
        f"  in the bot (both processes): CPU during the burst {phases['process_cpu']:.2f} s "
        f"({phases['process_cpu'] / REQUESTS * 1000:.0f} ms per command); peak RSS "
        f"{phases.get('rss_mib', 0):.0f} MiB acking"
        + (f", {phases['child_rss_mib']:.0f} MiB answering" if "child_rss_mib" in phases else "")
    )
    for lane, cpus in sorted(phases["jobs"].items()):
        print(
            f"    {lane:40s} answer job CPU median {statistics.median(cpus) * 1000:7.1f} ms"
            f" (x{len(cpus)})"
        )
    for _, rid, text in sent.values() if missing else ():
        if clock.answered_at(rid) is None:
            posts = [json.loads(post[1]).get("text", "")[:50] for post in clock.posts.get(rid, [])]
            print(f"    no answer for {text}: posts {posts}")
    print(f"  AWS calls during the burst: {sum(made.values())}")
    for name, count in sorted(made.items()):
        print(f"    {name:45s} {count}")


def main() -> None:
    global CONCURRENCY, COMMANDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=2, help="bursts to run (first is cold)")
    parser.add_argument("--concurrency", type=int, default=8, help="commands in flight at once")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="COMMAND",
        help="leave a command out of the rotation (e.g. /tags), to see the others alone",
    )
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for answers")
    options = parser.parse_args()
    CONCURRENCY = options.concurrency
    COMMANDS = tuple(c for c in COMMANDS if c.split()[0] not in options.without)
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
    clock = AnswerClock()
    context = multiprocessing.get_context("spawn")
    moto_ready, moto_stop = context.Queue(), context.Event()
    moto = context.Process(target=serve_moto, args=(moto_ready, moto_stop))
    moto.start()
    aws_urls = moto_ready.get(timeout=120)
    replies, orders = context.Queue(), context.Queue()
    bot = context.Process(
        target=serve_bot, args=(console.api_url, aws_urls, secret, replies, orders)
    )
    bot.start()
    sends, sent = context.Queue(), context.Queue()
    sender = context.Process(target=serve_sender, args=(sends, sent))
    sender.start()
    try:
        console.bot_url = f"{replies.get(timeout=180)}/slack/events"
        for number in range(options.bursts):
            label = "cold burst" if number == 0 else "warm burst"
            burst(console, clock, label, (orders, replies), (sends, sent), options.wait)
    finally:
        sends.put(None)
        sender.join(timeout=30)
        orders.put("stop")
        bot.join(timeout=30)
        moto_stop.set()
        moto.join(timeout=30)
        console.stop()


if __name__ == "__main__":
    main()
