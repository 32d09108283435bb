"""Benchmark: the `/rightsize` scan (`bot.advice.rightsizing.scan_rightsizing`) over N running
instances in each of two regions of a moto server, each with 14 days of hourly CPUUtilization
(seeded through moto's API, as a client would), spread evenly over four profiles: idle,
oversized, busy and no data.

Run: .venv/bin/python benchmarks/rightsize_scan.py [--instances 300] [--runs 3] [--stock-moto]
Prints seeding time, scan time (untraced runs), the scan's peak Python memory (one more run
under tracemalloc), GetMetricData calls per scan (counted by a botocore event hook on the
clients the bot creates: batching means ceil(N / 500) per region) and the recommendations by
verdict. Exits 1 when the findings do not match the seeded profiles or the calls are not
batched. The moto server runs in its own process so that neither its CPU time (the GIL) nor
its memory counts as the bot's.

moto's own GetMetricData rescans every stored datapoint for every query and every hour of the
window (work grows as queries * hours * points: 13 s for one call over 40 instances' series,
some 9 minutes per region for 300), so the server answers MetricStat queries from an index
by metric and dimensions instead — the same values and timestamps, from moto's own
statistics code. `--stock-moto` keeps moto's version (use a small `--instances`, e.g. 24).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGIONS = ("us-east-1", "eu-west-1")
TYPES = ("m5.large", "c5.xlarge", "m5.xlarge")
TEAMS = ("payments", "search")
PROFILES = ("idle", "oversized", "busy", "no-data")
#: Hourly CPU (percent) drawn uniformly from these: idle averages ~4 % (p95 ~8 %), oversized
#: ~25 %, busy ~70 % — well clear of the 10 / 20 / 40 % thresholds.
CPU_RANGE = {"idle": (0.5, 8.0), "oversized": (12.0, 38.0), "busy": (45.0, 95.0)}
HOURS = 14 * 24
BATCH = 20  # instances per run_instances call (a multiple of len(PROFILES))
QUERIES_PER_CALL = 500
CONFIG = """\
finops:
  regions: [us-east-1, eu-west-1]
  default_channel: C0FINOPS
  teams:
    payments: {channel: C0PAY}
    search: {channel: C0SRCH, allow_terminate: true}
  rightsizing: {lookback_days: 14, min_hours: 72}
"""


def seed(endpoint: str, region: str, instances: int) -> tuple[dict[str, str], int]:
    """Launch `instances` running instances and put their CPU history; returns each
    instance's profile and how many datapoints were put."""
    import boto3
    from botocore.config import Config

    config = Config(read_timeout=300, max_pool_connections=16)
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint, config=config)
    cloudwatch = boto3.client(
        "cloudwatch", region_name=region, endpoint_url=endpoint, config=config
    )
    image = ec2.register_image(
        Name="bench",
        Architecture="x86_64",
        RootDeviceName="/dev/xvda",
        VirtualizationType="hvm",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]

    def launch(batch: int) -> list[str]:
        team = TEAMS[batch % len(TEAMS)]
        count = min(BATCH, instances - batch * BATCH)
        launched = ec2.run_instances(
            ImageId=image,
            InstanceType=TYPES[batch % len(TYPES)],
            MinCount=count,
            MaxCount=count,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Team", "Value": team},
                        {"Key": "Owner", "Value": f"U0{team.upper()}"},
                    ],
                }
            ],
        )["Instances"]
        return [str(i["InstanceId"]) for i in launched]

    with ThreadPoolExecutor(4) as pool:
        ids = [i for batch in pool.map(launch, range(math.ceil(instances / BATCH))) for i in batch]
    profiles = {instance_id: PROFILES[n % len(PROFILES)] for n, instance_id in enumerate(ids)}

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    points = []
    for n, (instance_id, profile) in enumerate(profiles.items()):
        if profile == "no-data":
            continue
        rng, (low, high) = random.Random(f"{region}-{n}"), CPU_RANGE[profile]
        points += [
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                "Timestamp": end - timedelta(hours=HOURS - hour),
                "Value": round(rng.uniform(low, high), 2),
                "Unit": "Percent",
            }
            for hour in range(HOURS)
        ]

    def put(first: int) -> None:
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=points[first : first + 1000])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, range(0, len(points), 1000)))
    return profiles, len(points)


def _install_indexed_get_metric_data() -> None:
    """In the server process: answer GetMetricData's MetricStat queries (with dimensions, no
    unit) from an index by (namespace, metric, dimensions), bucketing points by period and
    aggregating them with moto's own Statistics; anything else goes to moto's code."""
    from moto.cloudwatch.models import CloudWatchBackend, Statistics

    original = CloudWatchBackend.get_metric_data
    lock = threading.Lock()
    indexes: dict[int, tuple[int, dict[tuple[Any, ...], list[Any]]]] = {}

    def series(backend: Any, key: tuple[Any, ...]) -> list[Any]:
        with lock:  # metric_data is only ever appended to: index what is new
            size, table = indexes.get(id(backend), (0, {}))
            for datum in backend.metric_data[size:]:
                table.setdefault(
                    (
                        datum.namespace,
                        datum.name,
                        tuple(sorted((d.name, d.value) for d in datum.dimensions)),
                    ),
                    [],
                ).append(datum)
            indexes[id(backend)] = (len(backend.metric_data), table)
            return list(table.get(key, []))

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        simple = all(
            "MetricStat" in q
            and "Unit" not in q["MetricStat"]
            and q["MetricStat"]["Metric"].get("Dimensions")
            for q in queries
        )
        if not simple or start >= end or self.aws_metric_data:
            return original(self, queries, start_time, end_time, scan_by)
        results = []
        for query in queries:
            metric_stat, metric = query["MetricStat"], query["MetricStat"]["Metric"]
            stat, period = metric_stat["Stat"], timedelta(seconds=int(metric_stat["Period"]))
            key = (
                metric["Namespace"],
                metric["MetricName"],
                tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"])),
            )
            buckets: dict[int, list[Any]] = {}
            for datum in series(self, key):
                if start <= datum.timestamp < end:
                    buckets.setdefault((datum.timestamp - start) // period, []).append(datum)
            values, timestamps = [], []
            for n in sorted(buckets):
                stats = Statistics([stat], start + n * period)
                stats.metric_data = buckets[n]
                values.append(stats.get_statistics_for_type(stat))
                timestamps.append(stats.timestamp)
            if scan_by == "TimestampDescending":
                values.reverse()
                timestamps.reverse()
            if query.get("ReturnData", True):
                results.append(
                    {
                        "id": query["Id"],
                        "label": query.get("Label") or f"{metric['MetricName']} {stat}",
                        "values": values,
                        "timestamps": timestamps,
                        "status_code": "Complete",
                    }
                )
        return results

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]


def _serve(ready: Any, stop: Any, indexed: bool) -> None:
    """Child process: a ThreadedMotoServer until told to stop."""
    import logging

    from moto.server import ThreadedMotoServer

    if indexed:
        _install_indexed_get_metric_data()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    ready.put(server.get_host_and_port())
    stop.wait()
    server.stop()


def _counting_clients(config: Any, calls: Counter[str]) -> Any:
    """AwsClients whose CloudWatch clients count their GetMetricData calls per region."""
    from botocore.config import Config

    from bot.aws import AwsClients

    lock = threading.Lock()

    class CountingClients(AwsClients):
        def client(self, service: str, *, region: str | None = None, **kwargs: Any) -> Any:
            client = super().client(service, region=region, **kwargs)
            if service == "cloudwatch" and not getattr(client, "_bench_counted", False):
                name = client.meta.region_name

                def count(**_: Any) -> None:
                    with lock:
                        calls[name] += 1

                client.meta.events.register("before-call.cloudwatch.GetMetricData", count)
                client._bench_counted = True
            return client

    return CountingClients(
        config,
        client_config=Config(read_timeout=300, retries={"mode": "standard", "max_attempts": 3}),
    )


def _scan_once(services: Any, traced: bool) -> tuple[Any, Counter[str], float, int]:
    from bot.advice.rightsizing import scan_rightsizing

    calls: Counter[str] = Counter()
    services.aws = _counting_clients(services.config, calls)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    report = scan_rightsizing(services, None)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return report, calls, elapsed, peak


def check(report: Any, calls: Counter[str], profiles: dict[str, str], instances: int) -> list[str]:
    """What differs from the seeded profiles and from batched GetMetricData calls."""
    from bot.advice.rightsizing import KIND_IDLE, KIND_OVERSIZED

    problems = []
    expected = {p: {i for i, q in profiles.items() if q == p} for p in PROFILES}
    found = {
        "idle": {f.resource_id for f in report.findings if f.kind == KIND_IDLE},
        "oversized": {f.resource_id for f in report.findings if f.kind == KIND_OVERSIZED},
        "no-data": {n.instance_id for n in report.no_data if n.hours == 0},
    }
    for verdict, ids in found.items():
        if ids != expected[verdict]:
            problems.append(
                f"{verdict}: {len(ids - expected[verdict])} unexpected, "
                f"{len(expected[verdict] - ids)} missing"
            )
    if len(report.findings) + len(report.no_data) != sum(len(ids) for ids in found.values()):
        problems.append("other findings or not-enough-data entries")
    if report.instances != len(profiles) or report.failures:
        problems.append(f"{report.instances} instances looked at, failures {report.failures}")
    per_region = math.ceil(instances / QUERIES_PER_CALL)
    if dict(calls) != dict.fromkeys(REGIONS, per_region):
        problems.append(f"GetMetricData calls {dict(calls)}, expected {per_region} per region")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300, help="running instances per region")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--stock-moto",
        action="store_true",
        help="moto's own GetMetricData (slow: use a small --instances)",
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
    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Queue(), spawn.Event()
    child = spawn.Process(target=_serve, args=(ready, stop, not args.stock_moto), daemon=True)
    child.start()
    host, port = ready.get(timeout=60)
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    problems: list[str] = []
    try:
        started = time.perf_counter()
        profiles: dict[str, str] = {}
        points = 0
        for region in REGIONS:
            seeded_profiles, seeded_points = seed(endpoint, region, args.instances)
            profiles.update(seeded_profiles)
            points += seeded_points
        seeded = time.perf_counter() - started
        print(
            f"seeded {args.instances} running instances ({', '.join(TYPES)}; "
            f"{' / '.join(PROFILES)}) in each of {len(REGIONS)} regions, {points:,} hourly "
            f"CPU points in all, in {seeded:.1f} s "
            f"({'stock' if args.stock_moto else 'indexed'} GetMetricData)"
        )

        from bot.config import load_config
        from bot.services import Services
        from bot.settings import Settings
        from storage.db import Database

        timings = []
        peak = 0
        with tempfile.TemporaryDirectory() as workdir:
            path = Path(workdir) / "finops.yml"
            path.write_text(CONFIG)
            database = Database(f"sqlite:///{workdir}/bench.db")  # the scan never touches it
            settings = Settings.from_env({"FINOPS_CONFIG": str(path), "DATABASE_URL": database.url})
            config = load_config(path)
            services = Services(
                settings=settings,
                config=config,
                db=database,
                aws=_counting_clients(config, Counter()),
            )
            for run in range(args.runs + 1):
                traced = run == args.runs
                report, calls, elapsed, run_peak = _scan_once(services, traced)
                kinds = Counter(f.kind for f in report.findings)
                busy = report.instances - len(report.findings) - len(report.no_data)
                label = "traced run" if traced else f"run {run + 1}"
                memory = f", peak {run_peak / 2**20:.1f} MiB" if traced else ""
                print(
                    f"{label}: {kinds['idle-instance']} idle, "
                    f"{kinds['oversized-instance']} oversized, {len(report.no_data)} no data, "
                    f"{busy} busy of {report.instances}; ${report.total:,.2f}/month; "
                    f"GetMetricData calls {sum(calls.values())} {dict(calls)}; "
                    f"{len(report.failures)} failures; {elapsed:.2f} s{memory}"
                )
                problems += [
                    f"{label}: {p}" for p in check(report, calls, profiles, args.instances)
                ]
                if traced:
                    peak = run_peak
                else:
                    timings.append(elapsed)
            database.engine.dispose()
        per_region = math.ceil(args.instances / QUERIES_PER_CALL)
        print(
            f"scan time: median {statistics.median(timings):.2f} s "
            f"(min {min(timings):.2f}, max {max(timings):.2f}); "
            f"peak traced memory of the scan: {peak / 2**20:.1f} MiB; GetMetricData calls per "
            f"scan: {per_region * len(REGIONS)} (ceil({args.instances}/{QUERIES_PER_CALL}) "
            f"per region); findings {'match' if not problems else 'DO NOT match'} the seeded "
            "profiles"
        )
    finally:
        stop.set()
        child.join(timeout=30)
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
