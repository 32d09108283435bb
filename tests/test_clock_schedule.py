"""The clock: schedules from the config, and a second clock that must not double-run or post."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.config import ConfigError, load_config
from bot.services import Services
from jobs.clock import ClockLeader, build_scheduler, clock_run
from jobs.posting import post_once
from jobs.registry import JOBS, JobSpec
from jobs.runner import run_job
from standins.slack_console import SlackConsole
from storage.models import JobRun
from storage.models_alerts import PostedAlert
from tests.clock_fixtures import services_on
from tests.conftest import BOT_TOKEN, CHANNELS, SIGNING_SECRET, TEST_CONFIG


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    console = SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=SIGNING_SECRET,
        bot_token=BOT_TOKEN,
        channels=CHANNELS,
    )
    console.start()
    yield console
    console.stop()


def test_default_schedule_and_timezone(services: Services) -> None:
    jobs = {job.id: job for job in build_scheduler(services).get_jobs()}
    assert str(jobs["housekeeping"].trigger).startswith("cron[hour='3', minute='17'")
    assert "clock-heartbeat" in jobs
    for name in ("anomalies", "budgets", "digest"):
        if name in jobs:  # once the job module exists, its default schedule applies
            assert jobs[name].coalesce and jobs[name].max_instances == 1
    assert str(jobs["housekeeping"].trigger.timezone) == "UTC"


def test_schedule_overrides_timezone_and_off(tmp_path: Path, sqlite_url: str) -> None:
    services = services_on(
        tmp_path,
        sqlite_url,
        extra_config="""\
        schedule:
          timezone: Europe/Paris
          jobs: {housekeeping: "30 2 * * sun"}
        """,
    )
    job = build_scheduler(services).get_job("housekeeping")
    assert "day_of_week='sun', hour='2', minute='30'" in str(job.trigger)
    assert str(job.trigger.timezone) == "Europe/Paris"
    off = services_on(tmp_path, sqlite_url, extra_config='schedule: {jobs: {housekeeping: "off"}}')
    assert off.config.schedule.for_job("housekeeping") == "off"
    assert build_scheduler(off).get_job("housekeeping") is None
    services.db.dispose()
    off.db.dispose()


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("schedule: {timezone: Mars/Olympus}", 'schedule.timezone: "Mars/Olympus" is not a time'),
        ('schedule: {digest: "0 9 * * 1"}', "use names like mon or mon-fri"),
        ('schedule: {budgets: "every day"}', "must be 5 crontab fields"),
        ('schedule: {budgets: "0 25 * * *"}', "is not a valid schedule"),
        ("schedule: {anomaly: x}", "schedule.anomaly is not a known key (did you mean anomalies?)"),
    ],
)
def test_bad_schedules_are_one_clear_line(tmp_path: Path, snippet: str, message: str) -> None:
    path = tmp_path / "finops.yml"
    path.write_text(TEST_CONFIG + "  " + snippet + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_unknown_job_in_schedule_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    snippet = 'schedule: {jobs: {houskeeping: "off"}}'
    services = services_on(tmp_path, sqlite_url, extra_config=snippet)
    with pytest.raises(ConfigError, match="did you mean housekeeping"):
        build_scheduler(services)
    services.db.dispose()


def _ping_job(console: SlackConsole, runs: list[str]) -> JobSpec:
    def ping(services: Services) -> str:
        runs.append(threading.current_thread().name)
        client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
        post_once(
            services, client, key="ping:1", kind="test", channel="C0PAY", message={"text": "ping"}
        )
        return "pinged"

    return JobSpec("ping", ping, "ping", "interval", {"seconds": 1})


def _ping_runs(services: Services) -> list[JobRun]:
    with services.db.session() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == "ping")))


def test_a_second_clock_stays_on_standby_then_takes_over(
    tmp_path: Path, database_url: str, console: SlackConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    monkeypatch.setitem(JOBS, "ping", _ping_job(console, runs))
    first = services_on(tmp_path, database_url)
    second = services_on(tmp_path, database_url)  # another process: own engine, same DB
    leaders = [ClockLeader(first), ClockLeader(second)]
    pairs = zip((first, second), leaders, strict=True)
    schedulers = [build_scheduler(s, leader=lead) for s, lead in pairs]
    started = time.monotonic()
    for scheduler in schedulers:
        scheduler.start()
    try:  # until two runs are recorded (a busy machine may take longer than 2 s)
        while len(_ping_runs(first)) < 2 and time.monotonic() - started < 20:
            time.sleep(0.1)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    elapsed = time.monotonic() - started
    finished = _ping_runs(first)
    # Both clocks fired every second, but only the leader ran the job: a run a second.
    assert 2 <= len(finished) <= int(elapsed), ([(r.trigger, r.status) for r in finished], elapsed)
    assert [leader.heartbeat() for leader in leaders].count(True) == 1
    assert len(console.messages("C0PAY")) == 1  # posted once, whatever the number of runs
    # The leader stops (releases its lease): the standby runs the next one.
    leading = next(i for i, lead in enumerate(leaders) if lead.heartbeat())
    leaders[leading].step_down()
    standby = 1 - leading
    assert clock_run("ping", (first, second)[standby], leaders[standby]) == "ok"
    assert clock_run("ping", (first, second)[leading], leaders[leading]) == "standby"
    first.db.dispose()
    second.db.dispose()


def test_run_job_is_skipped_while_another_process_runs_it(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = services_on(tmp_path, sqlite_url)
    inside, release = threading.Event(), threading.Event()

    def slow(_services: Services) -> str:
        inside.set()
        release.wait(5)
        return "done"

    monkeypatch.setitem(JOBS, "slow", JobSpec("slow", slow, "slow", "interval", {"hours": 1}))
    results: list[JobRun] = []
    worker = threading.Thread(target=lambda: results.append(run_job("slow", services)))
    worker.start()
    assert inside.wait(5)
    skipped = run_job("slow", services)
    release.set()
    worker.join()
    assert skipped.status == "skipped"
    assert skipped.detail.startswith("skipped: already running (")
    assert results[0].status == "ok"
    services.db.dispose()


def test_concurrent_posts_of_one_alert_post_once(
    tmp_path: Path, database_url: str, console: SlackConsole
) -> None:
    services = [services_on(tmp_path, database_url) for _ in range(2)]
    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    barrier = threading.Barrier(6)
    results: list[object] = []

    def post(i: int) -> None:
        barrier.wait()
        results.append(
            post_once(
                services[i % 2],
                client,
                key="anomaly:x",
                kind="anomaly",
                channel="C0SRCH",
                message={"text": f"spike {i}"},
            )
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
    assert len(console.messages("C0SRCH")) == 1
    # After a restart (new services, same database) it is still known as posted.
    again = services_on(tmp_path, database_url)
    assert (
        post_once(
            again,
            client,
            key="anomaly:x",
            kind="anomaly",
            channel="C0SRCH",
            message={"text": "again"},
        )
        is None
    )
    with again.db.session() as session:
        row = session.scalar(select(PostedAlert))
        assert row is not None and row.ts == console.messages("C0SRCH")[0]["ts"]
    for built in [*services, again]:
        built.db.dispose()


def test_an_undeliverable_alert_is_kept_and_never_rerouted(
    tmp_path: Path, sqlite_url: str, console: SlackConsole
) -> None:
    services = services_on(tmp_path, sqlite_url)
    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    alert = post_once(
        services, client, key="k", kind="test", channel="C0NOPE", message={"text": "x"}
    )
    assert alert is not None and alert.ts is None  # claimed and kept in the outbox
    assert (
        post_once(services, client, key="k", kind="test", channel="C0PAY", message={"text": "x"})
        is None
    )
    assert console.messages("C0PAY") == []  # never sent anywhere but its own channel
    services.db.dispose()
