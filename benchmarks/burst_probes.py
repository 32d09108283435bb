"""Probes the mixed-burst benchmark puts into the bot's process: every botocore call
counted, and where the bot's own time goes (acks, answer jobs, the process's CPU)."""

from __future__ import annotations

import collections
import threading
import time
from typing import Any


def count_aws_calls() -> collections.Counter[str]:
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


class PhaseClock:
    """Where the bot's own time goes, measured inside its process: the server-side ack
    (WSGI call, wall and this thread's CPU), each answer job's CPU on its worker thread,
    and the whole process's CPU. CPU seconds do not depend on what else the machine
    runs; wall times do."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._acks: list[tuple[float, float]] = []
        self._jobs: dict[str, list[float]] = collections.defaultdict(list)
        self._cpu = time.process_time()

    def ack(self, wall: float, cpu: float) -> None:
        with self._lock:
            self._acks.append((wall, cpu))

    def job(self, lane: str, cpu: float) -> None:
        with self._lock:
            self._jobs[lane].append(cpu)

    def take(self) -> dict[str, Any]:
        with self._lock:
            taken = {
                "acks": self._acks,
                "jobs": dict(self._jobs),
                "process_cpu": time.process_time() - self._cpu,
            }
            self._acks, self._jobs, self._cpu = (
                [],
                collections.defaultdict(list),
                time.process_time(),
            )
        return taken


def time_phases() -> PhaseClock:
    """Time the bot's WSGI calls and answer jobs (wrapping them; the bot is unchanged)."""
    from bot.web import BotWsgi
    from bot.workers import AnswerPool

    clock = PhaseClock()
    call, submit = BotWsgi.__call__, AnswerPool.submit

    def timed_call(self: Any, environ: Any, start_response: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return call(self, environ, start_response)
        finally:
            clock.ack(time.perf_counter() - wall, time.thread_time() - cpu)

    def timed_submit(self: Any, job: Any, *, lane: str = "") -> Any:
        def timed_job() -> None:
            cpu = time.thread_time()
            try:
                job()
            finally:
                clock.job(lane, time.thread_time() - cpu)

        return submit(self, timed_job, lane=lane)

    BotWsgi.__call__ = timed_call  # type: ignore[method-assign]
    AnswerPool.submit = timed_submit  # type: ignore[method-assign]
    return clock


#: Where the bot's answer process writes its probes (set before the bot starts it).
PROBE_DIR_ENV = "BURST_PROBE_DIR"


def peak_rss_mib() -> float:
    """This process's peak resident memory, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_probes() -> None:
    """The answer process's setup: the same probes, written (cumulative) to a file in
    $BURST_PROBE_DIR every 0.1 s for the bot's process to read."""
    import json
    import os
    from pathlib import Path

    calls = count_aws_calls()
    clock = time_phases()
    started = time.process_time()
    path = Path(os.environ[PROBE_DIR_ENV]) / "child.json"
    jobs: dict[str, list[float]] = collections.defaultdict(list)

    def report() -> None:
        while True:
            time.sleep(0.1)
            for lane, cpus in clock.take()["jobs"].items():
                jobs[lane].extend(cpus)
            data = {
                "calls": dict(calls),
                "jobs": jobs,
                "cpu": time.process_time() - started,
                "rss_mib": peak_rss_mib(),
            }
            scratch = path.with_suffix(".tmp")
            scratch.write_text(json.dumps(data))
            scratch.replace(path)

    threading.Thread(target=report, name="burst-probes", daemon=True).start()


class ChildProbes:
    """What the answer process's probes wrote: its AWS calls, and its answer jobs and
    CPU since the last `take`."""

    def __init__(self, directory: str) -> None:
        import pathlib

        self._path = pathlib.Path(directory) / "child.json"
        self._seen: dict[str, int] = {}
        self._cpu = 0.0

    def _read(self) -> dict[str, Any]:
        import json

        time.sleep(0.3)  # the file is at most 0.1 s old after this
        try:
            return dict(json.loads(self._path.read_text()))
        except (OSError, ValueError):
            return {"calls": {}, "jobs": {}, "cpu": self._cpu}

    def calls(self) -> dict[str, int]:
        return dict(self._read()["calls"])

    def rss_mib(self) -> float:
        return float(self._read().get("rss_mib", 0.0))

    def take(self) -> tuple[dict[str, list[float]], float]:
        data = self._read()
        jobs = {}
        for lane, cpus in data["jobs"].items():
            jobs[lane] = cpus[self._seen.get(lane, 0) :]
            self._seen[lane] = len(cpus)
        cpu, self._cpu = data["cpu"] - self._cpu, data["cpu"]
        return jobs, cpu
