"""Fault injection with real processes: `finops-bot serve` as a subprocess, AWS behind a
proxy (tests/fault_proxy.py) in front of one moto server, the Slack console stand-in, a
real SQLite file (and PostgreSQL). Each case holds one AWS call of a cleanup, approves
the request through a signed click, kills the bot with SIGKILL while that call is in
flight, lets the call reach moto (or drops it), starts the bot again and checks: the
resource in one consistent state, the request final after one reconciliation, every
step in the audit log, nothing done twice, and the Slack message showing the end."""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from bot.audit_export import events
from tests.crash_serve_fixtures import (  # noqa: F401 - the stack fixture
    CASES,
    LEASE_SECONDS,
    Bot,
    Stack,
    _click,
    _open_and_post,
    _services,
    _trail,
    _wait_final,
    check_end,
    interrupt,
    stack,
)


@pytest.mark.parametrize(
    ("kind", "call", "forward"),
    [
        ("volume", "CreateSnapshot", True),
        ("volume", "CreateSnapshot", False),
        ("volume", "DeleteVolume", True),
        ("volume", "DeleteVolume", False),
        ("address", "ReleaseAddress", True),
    ],
    ids=["snapshot-reached", "snapshot-lost", "delete-reached", "delete-lost", "release"],
)
def test_kill_during_each_step_on_sqlite(
    tmp_path: Path, stack: Stack, kind: str, call: str, forward: bool
) -> None:
    case = CASES[kind]
    url = f"sqlite:///{tmp_path / 'finops.db'}"
    services, request_id, resource, message = interrupt(
        tmp_path, url, stack, case, call, forward=forward
    )
    check_end(services, stack, case, request_id, resource, message)


@pytest.mark.postgres
@pytest.mark.parametrize("call", ["CreateSnapshot", "DeleteVolume"])
def test_kill_during_each_step_on_postgresql(
    tmp_path: Path, stack: Stack, postgres_url: str, call: str
) -> None:
    case = CASES["volume"]
    services, request_id, resource, message = interrupt(
        tmp_path, postgres_url, stack, case, call, forward=True
    )
    check_end(services, stack, case, request_id, resource, message)


@pytest.mark.postgres
def test_two_replicas_restarted_together_reconcile_once(
    tmp_path: Path, stack: Stack, postgres_url: str
) -> None:
    case = CASES["volume"]
    services, env = _services(tmp_path, postgres_url, stack)
    resource = case.make(boto3.Session(region_name="us-east-1"))
    request_id, message_id = _open_and_post(services, stack, case, resource)
    stack.proxy.clear()
    bot = Bot(env, tmp_path / "bot.log").start()
    stack.console.bot_url = f"{bot.url}/slack/events"
    rule = stack.proxy.hold("DeleteVolume", seconds=1.0)
    replicas: list[Bot] = []
    try:
        _click(stack, case, message_id)
        assert rule.in_flight.wait(30)
        bot.kill()
        assert rule.finished.wait(10)
        replicas = [Bot(env, tmp_path / f"replica-{i}.log") for i in range(2)]
        starters = [threading.Thread(target=r.start) for r in replicas]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(60)
        _wait_final(services, request_id)
        time.sleep(float(LEASE_SECONDS) + 1.5)  # the loser's retry after the lease
    finally:
        for replica in replicas:
            replica.stop()
        bot.stop()
    trail = _trail(services, request_id)
    assert [s for s, _ in trail].count("reconciled") == 1, trail
    assert [s for s, _ in trail].count("executed") == 1, trail
    assert trail.count(("step_done", "delete")) == 1, trail
    assert stack.proxy.reached["DeleteVolume"] == 1 and stack.proxy.reached["CreateSnapshot"] == 1


def test_database_unwritable_during_an_approval_does_nothing_in_aws(
    tmp_path: Path, stack: Stack
) -> None:
    case = CASES["volume"]
    path = tmp_path / "finops.db"
    services, env = _services(tmp_path, f"sqlite:///{path}", stack)
    resource = case.make(boto3.Session(region_name="us-east-1"))
    request_id, message_id = _open_and_post(services, stack, case, resource)
    stack.proxy.clear()
    bot = Bot(env, tmp_path / "bot.log").start()
    stack.console.bot_url = f"{bot.url}/slack/events"
    lock = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        try:
            with urllib.request.urlopen(f"{bot.url}/healthz", timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode()
        assert status == 503 and "refuses writes" in body and "locked" in body
        clicked = _click(stack, case, message_id)
        clicked.join(40)
        told = stack.console.wait_for(
            lambda: [
                m
                for m in stack.console.ephemerals(case.approver)
                if "can't record this right now" in m["text"].lower()
            ],
            timeout=30,
        )
        assert "nothing was done" in told[-1]["text"].lower()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=10) as answer:
        assert answer.status == 200
    time.sleep(0.5)
    bot.stop()
    assert not any(call in stack.proxy.reached for call in case.calls)
    from bot.remediation import requests as store

    with services.db.session() as session:
        request = store.get_request(session, request_id)
    assert request is not None and request.state == "pending"
    assert not case.gone(boto3.Session(region_name="us-east-1"), resource)
    deferred = [e for e in events(services.db) if e["status"] == "cleanup.decision_unrecorded"]
    assert deferred and deferred[0]["actor"] == case.approver
