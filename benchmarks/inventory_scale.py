"""Benchmark: the findings inventory at scale — 10 accounts x 4 regions in a moto server
(each account reached through its assumed role, as configured), a few hundred resources
per target. Measures one full inventory refresh (every registered kind in every target),
the process's peak RSS, and `/orphans` answered from the refreshed inventory (read +
render, no AWS call), median of several runs.

Run: .venv/bin/python benchmarks/inventory_scale.py [--accounts 10] [--regions 4]
     [--volumes 250] [--addresses 50]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1")
TEAMS = ("payments", "search", "data")


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def _serve_seeded(ready: Any, stop: Any, spec: dict[str, Any]) -> None:
    """Child process: seed moto's backends directly (the same resources a client would
    create, without one HTTP round trip each: 12,000 creates through the API take many
    minutes on two cores), then serve them until told to stop."""
    import logging

    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    from moto.ec2.models import ec2_backends
    from moto.server import ThreadedMotoServer

    started = time.perf_counter()
    for account in spec["accounts"]:
        for region in spec["regions"]:
            backend = ec2_backends[account][region]
            for n in range(spec["volumes"]):
                volume = backend.create_volume(
                    size=10 + n % 300, zone_name=f"{region}a", volume_type=("gp2", "gp3")[n % 2]
                )
                team = TEAMS[n % 3]
                backend.create_tags([volume.id], {"Team": team, "Owner": f"U0{team.upper()}"})
            for n in range(spec["addresses"]):
                backend.allocate_address(domain="vpc", tags={"Team": TEAMS[n % 3]})
    seeded = time.perf_counter() - started
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    ready.put((*server.get_host_and_port(), seeded))
    stop.wait()
    server.stop()


def check_seeded(endpoint: str, account: str, region: str) -> tuple[int, int]:
    """What a client of `account` sees in `region` (volumes, addresses): through STS."""
    import boto3
    from botocore.config import Config

    config = Config(read_timeout=300)
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, config=config)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/finops-bot", RoleSessionName="seed"
    )["Credentials"]
    ec2 = boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=config,
    )
    return len(ec2.describe_volumes()["Volumes"]), len(ec2.describe_addresses()["Addresses"])


def config_text(accounts: list[str], regions: tuple[str, ...]) -> str:
    lines = [
        "finops:",
        f"  regions: [{', '.join(regions)}]",
        "  default_channel: C0FINOPS",
        "  accounts:",
    ]
    lines += [
        f'    - {{id: "{a}", role_arn: "arn:aws:iam::{a}:role/finops-bot"}}' for a in accounts
    ]
    lines += [
        "  inventory: {concurrency: 16}",
        "  teams:",
        "    payments: {channel: C0PAY}",
        "    search: {channel: C0SRCH}",
        "    data: {channel: C0DATA}",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--volumes", type=int, default=250)
    parser.add_argument("--addresses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench",
        }
    )
    accounts = [account_id(n) for n in range(args.accounts)]
    regions = REGIONS[: args.regions]
    spec = {
        "accounts": accounts,
        "regions": regions,
        "volumes": args.volumes,
        "addresses": args.addresses,
    }
    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Queue(), spawn.Event()
    child = spawn.Process(target=_serve_seeded, args=(ready, stop, spec), daemon=True)
    child.start()
    host, port, seeded = ready.get(timeout=1800)
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        seen = check_seeded(endpoint, accounts[-1], regions[-1])
        assert seen == (args.volumes, args.addresses), seen
        print(
            f"seeded {len(accounts) * len(regions)} targets x ({args.volumes} tagged volumes + "
            f"{args.addresses} addresses) in {seeded:.1f} s (in the moto process)"
        )
        with tempfile.TemporaryDirectory() as workdir:
            run(workdir, accounts, regions, args)
    finally:
        stop.set()
        child.join(timeout=30)
    return 0


def run(
    workdir: str, accounts: list[str], regions: tuple[str, ...], args: argparse.Namespace
) -> None:
    from bot.config import Settings
    from bot.findings.prices import default_prices
    from bot.findings.scope import ScanFilter
    from bot.inventory.listing import all_kinds, read_listing, refresh_and_wait
    from bot.inventory.refresh import refresher_for
    from bot.inventory.reports import orphans_kinds, orphans_report
    from bot.render.orphans import orphans_message
    from bot.services import build_services

    path = Path(workdir) / "finops.yml"
    path.write_text(config_text(accounts, regions))
    os.environ["FINOPS_CONFIG"] = str(path)
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.db'}"
    services = build_services(Settings.from_env())
    started = time.perf_counter()
    listing = refresh_and_wait(services, kinds=all_kinds(), scope=ScanFilter(), refresh=True)
    refresh = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    targets = len(accounts) * len(regions) * len(all_kinds())
    print(
        f"full refresh: {targets} targets ({len(accounts)} accounts x {len(regions)} regions x "
        f"{len(all_kinds())} kinds), {refresher_for(services).scans} scans, "
        f"{len(listing.findings)} findings, {len(listing.failures)} failures in {refresh:.1f} s; "
        f"peak RSS {rss:.0f} MiB"
    )
    timings = []
    scope = ScanFilter()
    for _ in range(args.runs):
        started = time.perf_counter()
        stored = read_listing(services, kinds=orphans_kinds(scope), scope=scope)
        orphans_message(orphans_report(stored), scope=scope, prices=default_prices())
        timings.append(time.perf_counter() - started)
    print(
        f"/orphans from the refreshed inventory ({len(stored.findings)} findings): median "
        f"{statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}, "
        f"max {max(timings) * 1000:.0f})"
    )
    refresher_for(services).shutdown()


if __name__ == "__main__":
    sys.exit(main())
