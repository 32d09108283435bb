"""At most once: double clicks, retries, concurrent approvers — threads and processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bot.audit_export import events
from bot.remediation import service
from bot.services import Services
from tests.orphans_fixtures import AWS_ENV, CONFIG, Clock, Estate, aws, services_for  # noqa: F401
from tests.test_remediation_flow import open_request


@pytest.fixture
def svc_db(tmp_path: Path, database_url: str, aws: boto3.Session) -> Iterator[Services]:
    built = services_for(tmp_path, database_url)
    built.now = Clock()
    yield built
    built.db.dispose()


def test_many_concurrent_approvals_execute_once(svc_db: Services, aws: boto3.Session) -> None:
    estate = Estate(aws)
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc_db, volume)
    deletes: list[str] = []
    svc_db.aws.client("ec2", region="us-east-1").meta.events.register(
        "before-parameter-build.ec2.DeleteVolume",
        lambda **kw: deletes.append(kw["params"]["VolumeId"]),
    )
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def click(user: str) -> None:
        start.wait()
        decision = service.decide(svc_db, request_id, user=user, approve=True)
        outcomes.append(decision.outcome)
        if decision.outcome == "approved":
            outcomes.append(service.execute(svc_db, request_id).outcome)

    # double clicks and retries from one approver, plus the owner at the same moment
    users = ["U0LEAD"] * 5 + ["U0PAYDEV"] * 3
    threads = [threading.Thread(target=click, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("approved") == 1 and outcomes.count("executed") == 1, outcomes
    assert outcomes.count("closed") == 7
    assert deletes == [volume]
    assert [e["status"] for e in events(svc_db.db)] == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "step_started",
        "step_done",
        "executed",
    ]


def _approve_in_process(
    env: dict[str, str], request_id: int, user: str, go: Any, results: Any
) -> None:
    os.environ.update(env)
    from bot.config import Settings
    from bot.remediation import service as remote
    from bot.services import build_services

    services = build_services(Settings.from_env())
    go.wait(30)
    decision = remote.decide(services, request_id, user=user, approve=True)
    outcome = [decision.outcome]
    if decision.outcome == "approved":
        outcome.append(remote.execute(services, request_id).outcome)
    results.put((user, outcome))


@pytest.mark.postgres
def test_two_processes_on_postgresql_execute_once(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {**AWS_ENV, "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        config = tmp_path / "finops.yml"
        config.write_text(CONFIG)
        env.update(
            {
                "DATABASE_URL": postgres_url,
                "FINOPS_CONFIG": str(config),
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": "s",
            }
        )
        services = services_for(tmp_path, postgres_url)
        volume = Estate(boto3.Session(region_name="us-east-1")).volume(10, "gp2", "payments")
        request_id = open_request(services, volume)
        spawn = multiprocessing.get_context("spawn")
        go, results = spawn.Event(), spawn.Queue()
        workers = [
            spawn.Process(target=_approve_in_process, args=(env, request_id, user, go, results))
            for user in ("U0LEAD", "U0PAYDEV", "U0LEAD")
        ]
        for worker in workers:
            worker.start()
        go.set()
        outcomes = dict.fromkeys(range(3))
        outcomes = {n: results.get(timeout=90) for n in outcomes}
        for worker in workers:
            worker.join(timeout=30)
        flat = [o for _, outcome in outcomes.values() for o in outcome]
        assert flat.count("approved") == 1 and flat.count("executed") == 1, outcomes
        assert flat.count("closed") == 2
        statuses = [e["status"] for e in events(services.db)]
        assert statuses == [
            "requested",
            "approved",
            "step_started",
            "step_done",
            "step_started",
            "step_done",
            "executed",
        ]
        ec2 = boto3.client("ec2", region_name="us-east-1")
        snapshots = ec2.describe_snapshots(
            Filters=[{"Name": "tag:finops:source", "Values": [volume]}]
        )["Snapshots"]
        assert len(snapshots) == 1
        services.db.dispose()
    finally:
        server.stop()
