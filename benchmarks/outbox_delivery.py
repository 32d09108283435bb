"""Outbox delivery: 300 alerts for 6 channels, 1 in 5 posts answered 429 (Retry-After 1 s).

The real worker (its thread) and the console stand-in over HTTP, on a SQLite file. Prints how
long until everything was delivered, the delivery rate, the closest gap between two posts to
one channel (the spacing target is about 1 s), duplicates and misrouted messages (both must
be 0), and the cost of queueing (enqueue time per message).

    .venv/bin/python benchmarks/outbox_delivery.py [--messages 300] [--spacing 1.0]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHANNELS = [f"C0CH{i}" for i in range(6)]
CONFIG = "finops:\n  regions: [us-east-1]\n  default_channel: C0CH0\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--spacing", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from bot.config import Settings
    from bot.services import build_services
    from bot.slack.worker import OutboxWorker, pending
    from standins.slack_console import SlackConsole
    from storage import outbox

    work = Path(tempfile.mkdtemp())
    (work / "finops.yml").write_text(CONFIG)
    console = SlackConsole(
        bot_url="http://127.0.0.1:9/x",
        signing_secret="s",
        bot_token="xoxb-bench",
        channels={c: c.lower() for c in CHANNELS},
    )
    console.start()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "FINOPS_CONFIG": str(work / "finops.yml"),
        "SLACK_API_URL": console.api_url,
    }
    services = build_services(Settings.from_env(env))
    # every fifth post to each channel is rate limited once
    for channel in CHANNELS:
        console.fail("chat.postMessage", channel=channel, retry_after=1, times=args.messages // 30)
    worker = OutboxWorker(services, spacing=args.spacing, poll_seconds=0.1)
    started = time.monotonic()
    for i in range(args.messages):
        with services.db.session() as session:
            outbox.message(
                session,
                key=f"bench:{i}",
                purpose="alert",
                channel=CHANNELS[i % len(CHANNELS)],
                message={"text": f"alert {i} for {CHANNELS[i % len(CHANNELS)]}"},
            )
    queued = time.monotonic() - started
    done = threading.Event()
    worker.start()
    while pending(services) and time.monotonic() - started < 3600:
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    done.set()
    worker.stop()
    posts: dict[str, list[float]] = {}
    texts: list[str] = []
    misrouted = 0
    for channel in CHANNELS:
        for message in console.messages(channel):
            texts.append(message["text"])
            misrouted += not message["text"].endswith(channel)
            posts.setdefault(channel, []).append(float(message["ts"]))
    gaps = [
        b - a for ts in posts.values() for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)
    ]
    limited = sum(1 for c in console.calls("chat.postMessage") if c["error"] == "ratelimited")
    report: dict[str, Any] = {
        "messages": args.messages,
        "delivered": len(texts),
        "duplicates": len(texts) - len(set(texts)),
        "misrouted": misrouted,
        "429s answered": limited,
        "enqueue per message (ms)": round(queued / args.messages * 1000, 2),
        "all delivered after (s)": round(elapsed, 1),
        "rate (msg/s)": round(len(texts) / elapsed, 2),
        "closest gap in one channel (s)": round(min(gaps), 3) if gaps else None,
    }
    for key, value in report.items():
        print(f"{key:<34} {value}")
    console.stop()
    services.db.dispose()


if __name__ == "__main__":
    main()
