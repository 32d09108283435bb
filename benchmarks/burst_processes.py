"""The mixed-burst benchmark's other processes: AWS (moto and the Cost Explorer stand-in),
the bot (as `finops-bot serve` runs it, with its answer process) and Slack's senders."""

from __future__ import annotations

import collections
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from burst_probes import (
    PROBE_DIR_ENV,
    ChildProbes,
    child_probes,
    count_aws_calls,
    peak_rss_mib,
    time_phases,
)


# ------------------------------------------------------------------ AWS's process
def serve_moto(ready: Any, stop: Any) -> None:
    """A moto server and the Cost Explorer stand-in (the demo's cost data) in their own
    process, as AWS is in production: not the bot's CPU."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update({"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_ACCOUNT_ID": "111111111111"})
    from datetime import UTC, datetime

    from moto.server import ThreadedMotoServer

    from standins.cost_explorer import CostExplorerStandin
    from standins.demo_data import demo_line_items

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    today = datetime.now(UTC).date()
    ce = CostExplorerStandin(demo_line_items(today=today), today=today)
    ready.put((f"http://{host}:{port}", ce.start()))
    stop.wait()
    ce.stop()
    moto.stop()


# ------------------------------------------------------------------ the bot's process
def serve_bot(
    api_url: str, aws_urls: tuple[str, str], secret: str, replies: Any, orders: Any
) -> None:
    """The bot over HTTP on the demo estate (seeded into moto at `aws_urls[0]`), asking the
    Cost Explorer stand-in at `aws_urls[1]`."""
    aws_url, ce_url = aws_urls
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    workdir = tempfile.mkdtemp(prefix="finops-burst-")
    from bot.demo.runner import DEMO_BOT_TOKEN, DEMO_CONFIG, _demo_environment

    env = _demo_environment(workdir, secret)
    env["SLACK_API_URL"] = api_url
    env[PROBE_DIR_ENV] = workdir
    os.environ.update(env)
    calls = count_aws_calls()
    phases = time_phases()

    from datetime import UTC, datetime

    import boto3

    from bot.answers.front import answer_process_wanted
    from bot.config import Settings
    from bot.server import start_http_in_thread
    from bot.services import build_services
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
    os.environ["AWS_ENDPOINT_URL_COST_EXPLORER"] = ce_url
    services = build_services(Settings.from_env())
    separate = answer_process_wanted()  # as `finops-bot serve` does
    server = start_http_in_thread(services, answer_process=separate, answer_setup=child_probes)
    if separate and not server.answers.wait_ready(120):
        raise SystemExit("the bot's answer process did not start")
    child = ChildProbes(workdir)
    calls.clear()  # seeding is not the bot's work
    replies.put(server.url)
    while True:
        order = orders.get()
        if order == "calls":
            both = collections.Counter(calls)
            both.update(child.calls() if separate else {})
            replies.put(dict(both))
        elif order == "phases":
            taken = phases.take()
            if separate:  # answers ran in the answer process: its jobs and CPU count too
                jobs, cpu = child.take()
                taken["jobs"], taken["process_cpu"] = jobs, taken["process_cpu"] + cpu
                taken["child_rss_mib"] = child.rss_mib()
            taken["rss_mib"] = peak_rss_mib()
            replies.put(taken)
        elif order == "stop":
            break
    server.stop()


# ------------------------------------------------------------------ the senders' process
def serve_sender(orders: Any, replies: Any) -> None:
    """Slack's request senders, in a process of their own: each order is a list of signed
    form posts, sent `concurrency` at a time; each result is (sent at, seconds, Delivery)."""
    from standins.slack_console.delivery import post_signed

    while True:
        order = orders.get()
        if order is None:
            return
        url, secret, posts, concurrency = order

        def send(fields: dict[str, str], url: str = url, secret: str = secret) -> Any:
            started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
            delivery = post_signed(url, fields, secret, 3.0)
            return started, time.perf_counter() - started, delivery

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            replies.put(list(pool.map(send, posts)))
