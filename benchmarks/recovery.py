"""Benchmark: crash recovery and the cost of write-ahead recording.

1. Recovery time: 100 volume cleanups interrupted mid-way (the process "dies" right after
   DeleteVolume reached AWS, so each is left `executing` with its snapshot taken and the
   delete's outcome unknown), then one reconciliation pass at start: it looks at AWS for
   each, records what it found and closes each request `executed` with its restore data.
2. Write-ahead overhead: the time each execution spends writing its step events (intent
   before each AWS call, outcome after), per action: p50/p95 in ms, beside the whole
   execution time.

Against a moto server in its own process, on a SQLite file (and PostgreSQL when
FINOPS_BENCH_POSTGRES_URL is set). Run: .venv/bin/python benchmarks/recovery.py [--requests 100]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIG = """\
finops:
  regions: [us-east-1]
  default_channel: C0FINOPS
  teams:
    payments: {channel: C0PAY, approvers: [U0LEAD]}
"""


class Died(BaseException):
    """The process died here (nothing in the bot catches a BaseException)."""


def _moto(port: Any) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port.put(server.get_host_and_port()[1])
    while True:
        time.sleep(3600)


def _services(database_url: str, workdir: Path) -> Any:
    from bot.config import Settings
    from bot.services import build_services

    config = workdir / "finops.yml"
    config.write_text(CONFIG)
    env = {
        "DATABASE_URL": database_url,
        "FINOPS_CONFIG": str(config),
        "SLACK_SIGNING_SECRET": "bench",
    }
    return build_services(Settings.from_env(env))


def _volumes(count: int) -> list[str]:
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1")
    spec = [{"ResourceType": "volume", "Tags": [{"Key": "Team", "Value": "payments"}]}]
    return [
        ec2.create_volume(
            AvailabilityZone="us-east-1a", Size=10, VolumeType="gp2", TagSpecifications=spec
        )["VolumeId"]
        for _ in range(count)
    ]


def _approved(services: Any, volume: str) -> int:
    from bot.remediation import service

    ref = service.ResourceRef("volume", "us-east-1", "current", volume)
    opened = service.request_cleanup(services, ref, user="U0DEV")
    assert opened.request is not None, opened.problem
    decided = service.decide(services, opened.request.id, user="U0LEAD", approve=True)
    assert decided.outcome == "approved"
    return opened.request.id


def recovery_time(services: Any, count: int) -> dict[str, float]:
    """Interrupt `count` cleanups at DeleteVolume, then time one reconciliation pass."""
    from botocore.client import BaseClient

    from bot.remediation import recovery, service

    original = BaseClient._make_api_call

    def dying(self: Any, name: str, params: dict[str, Any]) -> Any:
        answer = original(self, name, params)
        if name == "DeleteVolume":
            raise Died(name)
        return answer

    ids = [_approved(services, v) for v in _volumes(count)]
    BaseClient._make_api_call = dying  # type: ignore[method-assign]
    try:
        for request_id in ids:
            with contextlib.suppress(Died):
                service.execute(services, request_id)
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    real_now = services.now
    services.now = lambda: real_now() + recovery.execution.LEASE_TTL * 2  # leases lapsed
    started = time.perf_counter()
    result = recovery.reconcile(services)
    elapsed = time.perf_counter() - started
    services.now = real_now
    executed = sum(1 for e in result.finished if e.outcome == "executed")
    assert executed == count, result.summary()
    return {"total_s": elapsed, "per_request_ms": elapsed / count * 1000}


def write_ahead_overhead(services: Any, count: int) -> dict[str, float]:
    """Per execution: time in step-event writes vs the whole execution (ms)."""
    from bot.remediation import execution, service

    spent: list[float] = []
    original = execution._record

    def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            original(*args, **kwargs)
        finally:
            spent[-1] += time.perf_counter() - started

    execution._record = timed  # type: ignore[assignment]
    totals: list[float] = []
    try:
        for volume in _volumes(count):
            request_id = _approved(services, volume)
            spent.append(0.0)
            started = time.perf_counter()
            done = service.execute(services, request_id)
            totals.append(time.perf_counter() - started)
            assert done.outcome == "executed", done.message
    finally:
        execution._record = original  # type: ignore[assignment]

    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    return {
        "record_p50_ms": pct(spent, 50),
        "record_p95_ms": pct(spent, 95),
        "execute_p50_ms": pct(totals, 50),
        "execute_p95_ms": pct(totals, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    queue: Any = multiprocessing.Queue()
    moto = multiprocessing.Process(target=_moto, args=(queue,), daemon=True)
    moto.start()
    port = queue.get(timeout=60)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    databases = {"sqlite": None}
    if os.environ.get("FINOPS_BENCH_POSTGRES_URL"):
        databases["postgresql"] = os.environ["FINOPS_BENCH_POSTGRES_URL"]
    try:
        for name, url in databases.items():
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                services = _services(url or f"sqlite:///{workdir / 'bench.db'}", workdir)
                recovered = recovery_time(services, args.requests)
                overhead = write_ahead_overhead(services, args.requests)
                services.db.dispose()
            print(
                f"{name}: recovery of {args.requests} interrupted requests at start: "
                f"{recovered['total_s']:.2f} s ({recovered['per_request_ms']:.1f} ms each)"
            )
            print(
                f"{name}: write-ahead recording per volume cleanup (4 step events): "
                f"p50 {overhead['record_p50_ms']:.1f} ms, p95 {overhead['record_p95_ms']:.1f} ms "
                f"of a whole execution p50 {overhead['execute_p50_ms']:.1f} ms, "
                f"p95 {overhead['execute_p95_ms']:.1f} ms"
            )
    finally:
        moto.terminate()


if __name__ == "__main__":
    main()
