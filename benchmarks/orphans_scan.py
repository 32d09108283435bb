"""Benchmark: scanning for orphans in a moto server holding 1,000 tagged volumes and 200
Elastic IPs in each of two regions (seeded through moto's API, as a client would).

Run: .venv/bin/python benchmarks/orphans_scan.py [--volumes 1000] [--addresses 200]
Prints seeding time, scan time (three untraced runs) and the scan's peak Python memory
(one more run under tracemalloc) — the figures the README quotes. Then, side by side in
the same run, the whole process `finops-bot scan orphans --format json` against a plain
boto3 process that makes one describe pass over the same estate (process start-up
included in both), with the ratio (target ≤ 1.25) and each process's peak RSS. The moto
server runs in its own process so that neither its CPU time (the GIL) nor its memory
counts as the bot's. Both processes count their HTTP attempts and read timeouts; the bot's
JSON must list every finding. `--endpoint URL --whole-process-only` measures against a
moto server already seeded with this estate.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGIONS = ("us-east-1", "eu-west-1")
TEAMS = ("payments", "search", "data")
#: The bot reads the same read timeout as the plain pass's client (300 s): moto answers the
#: unpaged listing of 1,000 tagged volumes in seconds on a quiet machine, in minutes on a
#: loaded one, and the comparison is of the work done, not of who gives up first.
CONFIG = """\
finops:
  regions: [us-east-1, eu-west-1]
  default_channel: C0FINOPS
  aws: {read_timeout_seconds: 300}
  teams:
    payments: {channel: C0PAY}
    search: {channel: C0SRCH}
    data: {channel: C0DATA}
"""


def seed(endpoint: str, region: str, volumes: int, addresses: int) -> None:
    import boto3
    from botocore.config import Config

    ec2 = boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(read_timeout=300, max_pool_connections=16),
    )

    def volume(n: int) -> None:
        team = TEAMS[n % len(TEAMS)]
        ec2.create_volume(
            AvailabilityZone=f"{region}a",
            Size=10 + n % 500,
            VolumeType=("gp2", "gp3", "st1")[n % 3],
            TagSpecifications=[
                {
                    "ResourceType": "volume",
                    "Tags": [
                        {"Key": "Team", "Value": team},
                        {"Key": "Owner", "Value": f"U0{team.upper()}"},
                        {"Key": "Name", "Value": f"bench-{n}"},
                    ],
                }
            ],
        )

    def address(n: int) -> None:
        ec2.allocate_address(
            Domain="vpc",
            TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": [{"Key": "Team", "Value": TEAMS[n % 3]}]}
            ],
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(volume, range(volumes)))
        list(pool.map(address, range(addresses)))


def _serve(ready: Any, stop: Any) -> None:
    """Child process: a ThreadedMotoServer until told to stop."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    ready.put(server.get_host_and_port())
    stop.wait()
    server.stop()


def _scan_once(config: Any, traced: bool) -> tuple[Any, float, int]:
    from bot.aws import AwsClients
    from bot.orphans import scan

    aws = AwsClients(config)  # the configured client settings (`aws:` in CONFIG)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = scan(aws, config, now=lambda: datetime.now(UTC))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return result, elapsed, peak


#: Both processes count their HTTP attempts and read timeouts (one stderr line, `calls`)
#: and print their own peak RSS in KiB: VmHWM, not getrusage's ru_maxrss, which Linux
#: carries over exec from the forking parent (this benchmark, 180 MiB after its own runs).
COUNT_CALLS = """
import atexit, sys, botocore.endpoint, botocore.exceptions
def peak_rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
_calls = {"attempts": 0, "timeouts": 0}
_send = botocore.endpoint.Endpoint._send
def _counted(self, request):
    _calls["attempts"] += 1
    try:
        return _send(self, request)
    except botocore.exceptions.ReadTimeoutError:
        _calls["timeouts"] += 1
        raise
botocore.endpoint.Endpoint._send = _counted
atexit.register(lambda: print("calls", _calls["attempts"], _calls["timeouts"], file=sys.stderr))
"""
PLAIN_PASS = (
    COUNT_CALLS
    + """
import sys, boto3
from botocore.config import Config
config = Config(read_timeout=300)
for region in ("us-east-1", "eu-west-1"):
    ec2 = boto3.client("ec2", region_name=region, config=config)
    for page in ec2.get_paginator("describe_volumes").paginate():
        pass
    ec2.describe_addresses()
    for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"]):
        pass
    for page in ec2.get_paginator("describe_instances").paginate():
        pass
    elb = boto3.client("elbv2", region_name=region, config=config)
    for page in elb.get_paginator("describe_load_balancers").paginate():
        pass
print(peak_rss_kib(), file=sys.stderr)
"""
)
BOT_PROCESS = (
    COUNT_CALLS
    + """
import sys
from bot.cli import main
code = main(["scan", "orphans", "--format", "json"])
print(peak_rss_kib(), file=sys.stderr)
sys.exit(code)
"""
)


def _timed_process(code: str, env: dict[str, str]) -> tuple[float, float, tuple[int, int], str]:
    """Wall time of a whole Python process running `code`, its peak RSS in MiB, its HTTP
    (attempts, read timeouts), and its standard output."""
    import subprocess

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    calls = next(line for line in reversed(lines) if line.startswith("calls "))
    rss = next(line for line in reversed(lines) if line.isdigit())
    attempts, timeouts = (int(n) for n in calls.split()[1:])
    return elapsed, int(rss) / 1024, (attempts, timeouts), done.stdout


def whole_process_ratio(workdir: str, runs: int, expected: int) -> None:
    """`finops-bot scan orphans --format json` vs a plain boto3 describe pass."""
    import json

    path = Path(workdir) / "finops.yml"
    path.write_text(CONFIG)
    env = dict(os.environ)
    env.update(
        {
            "FINOPS_CONFIG": str(path),
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'bench.db'}",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
    )
    bot_times, plain_times, bot_rss, plain_rss = [], [], 0.0, 0.0
    for run in range(runs):
        elapsed, rss, (attempts, timeouts), _ = _timed_process(PLAIN_PASS, env)
        plain_times.append(elapsed)
        plain_rss = max(plain_rss, rss)
        print(f"  run {run + 1}: plain {elapsed:.2f} s, {attempts} calls, {timeouts} timeouts")
        elapsed, rss, (attempts, timeouts), out = _timed_process(BOT_PROCESS, env)
        bot_times.append(elapsed)
        bot_rss = max(bot_rss, rss)
        found = len(json.loads(out))
        print(
            f"  run {run + 1}: finops-bot {elapsed:.2f} s, {attempts} calls, {timeouts} "
            f"timeouts, {found} findings"
        )
        assert found == expected, f"the bot listed {found} findings, not {expected}"
    bot, plain = statistics.median(bot_times), statistics.median(plain_times)
    print(
        f"whole process: finops-bot scan orphans {bot:.2f} s (peak RSS {bot_rss:.0f} MiB) vs "
        f"plain boto3 describe pass {plain:.2f} s (peak RSS {plain_rss:.0f} MiB): "
        f"ratio {bot / plain:.2f} (target <= 1.25)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volumes", type=int, default=1000)
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--endpoint", help="a moto server already seeded with this estate (no seeding, no server)"
    )
    parser.add_argument(
        "--whole-process-only", action="store_true", help="skip the in-process scan runs"
    )
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
    )
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint
        measure(args)
        return 0
    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Queue(), spawn.Event()
    child = spawn.Process(target=_serve, args=(ready, stop), daemon=True)
    child.start()
    host, port = ready.get(timeout=60)
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        started = time.perf_counter()
        for region in REGIONS:
            seed(endpoint, region, args.volumes, args.addresses)
        seeded = time.perf_counter() - started
        print(
            f"seeded {args.volumes} tagged volumes + {args.addresses} addresses in each of "
            f"{len(REGIONS)} regions in {seeded:.1f} s"
        )
        measure(args)
    finally:
        stop.set()
        child.join(timeout=30)
    return 0


def measure(args: argparse.Namespace) -> None:
    """The in-process scan runs (unless skipped), then the whole-process comparison."""
    from bot.config import load_config

    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "finops.yml"
        path.write_text(CONFIG)
        config = load_config(path)
    expected = len(REGIONS) * (args.volumes + args.addresses)
    timings = []
    for run in range(0 if args.whole_process_only else args.runs + 1):
        traced = run == args.runs
        result, elapsed, peak = _scan_once(config, traced)
        kinds: dict[str, int] = {}
        for finding in result.findings:
            kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
        label = "traced run" if traced else f"run {run + 1}"
        memory = f", peak {peak / 2**20:.1f} MiB" if traced else ""
        print(
            f"{label}: {len(result.findings)} findings {kinds}, "
            f"${result.total:,.2f}/month, {len(result.failures)} failures, "
            f"{elapsed:.2f} s{memory}"
        )
        assert len(result.findings) == expected and not result.failures, result.failures
        if not traced:
            timings.append(elapsed)
    if timings:
        print(
            f"scan time: median {statistics.median(timings):.2f} s "
            f"(min {min(timings):.2f}, max {max(timings):.2f}); "
            f"peak traced memory of the scan: {peak / 2**20:.1f} MiB"
        )
    with tempfile.TemporaryDirectory() as workdir:
        whole_process_ratio(workdir, args.runs, expected)


if __name__ == "__main__":
    sys.exit(main())
