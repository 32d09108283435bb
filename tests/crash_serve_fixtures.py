"""The crash suite's parts: moto behind a fault proxy, the console, `finops-bot serve` as
a subprocess (its process group), the cleanup cases and the checks of their end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from slack_sdk import WebClient
from sqlalchemy import select

from bot.audit_export import events
from bot.audit_verify import verify
from bot.config import Settings
from bot.remediation import service
from bot.services import Services, build_services
from bot.slack.worker import LEASE
from handlers.cleanup_actions import announce_request
from standins.slack_console import SlackConsole
from storage.models_outbox import OutboxMessage
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, start_console
from tests.fault_proxy import FaultProxy
from tests.orphans_fixtures import AWS_ENV, CONFIG
from tests.test_remediation_flow import ref

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = "2"


@dataclass
class Stack:
    """moto, the proxy in front of it, and the console: shared by the module's cases."""

    moto_url: str
    proxy: FaultProxy
    console: SlackConsole


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    saved = dict(os.environ)
    os.environ.update(AWS_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    proxy = FaultProxy(moto_url).start()
    console = start_console()
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    yield Stack(moto_url=moto_url, proxy=proxy, console=console)
    console.stop()
    proxy.stop()
    server.stop()
    os.environ.clear()
    os.environ.update(saved)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Bot:
    """One `finops-bot serve` process."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Bot:
        env = {**os.environ, **self.env, "PORT": str(self.port)}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group: serve and its answer process
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    # its answer process up too: the cleanup runs there, as in production
                    if json.loads(answer.read()).get("answer_process") == "ready":
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"bot did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # the machine dies: both
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Case:
    """A cleanup to interrupt: how to make its resource, and how to look at it after."""

    kind: str
    approver: str
    channel: str
    make: Callable[[Any], str]
    gone: Callable[[Any, str], bool]
    calls: tuple[str, ...]  # its changing AWS calls, in order
    undo: bool = False


def _volume(session: Any) -> str:
    ec2 = session.client("ec2")
    return str(
        ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=50,
            VolumeType="gp2",
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "Team", "Value": "payments"}]}
            ],
        )["VolumeId"]
    )


def _volume_gone(session: Any, volume: str) -> bool:
    found = session.client("ec2").describe_volumes(
        Filters=[{"Name": "volume-id", "Values": [volume]}]
    )["Volumes"]
    return found == []


def _address(session: Any) -> str:
    return str(
        session.client("ec2").allocate_address(
            Domain="vpc",
            TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": [{"Key": "Team", "Value": "search"}]}
            ],
        )["AllocationId"]
    )


def _address_gone(session: Any, allocation: str) -> bool:
    addresses = session.client("ec2").describe_addresses()["Addresses"]
    return all(a.get("AllocationId") != allocation for a in addresses)


CASES = {
    "volume": Case(
        "volume",
        "U0LEAD",
        "C0PAY",
        _volume,
        _volume_gone,
        ("CreateSnapshot", "DeleteVolume"),
        undo=True,
    ),
    "address": Case("address", "U0SLEAD", "C0SRCH", _address, _address_gone, ("ReleaseAddress",)),
}


def _services(tmp_path: Path, database_url: str, stack: Stack) -> tuple[Services, dict[str, str]]:
    config = tmp_path / "finops.yml"
    if not config.exists():
        config.write_text(CONFIG)
    env = {
        **AWS_ENV,
        "AWS_ENDPOINT_URL": stack.proxy.url,
        "DATABASE_URL": database_url,
        "FINOPS_CONFIG": str(config),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": stack.console.api_url,
        "FINOPS_EXECUTION_LEASE_SECONDS": LEASE_SECONDS,
        "LOG_LEVEL": "INFO",
    }
    return build_services(Settings.from_env(env)), env


def _open_and_post(services: Services, stack: Stack, case: Case, resource: str) -> tuple[int, str]:
    opened = service.request_cleanup(services, ref(resource, case.kind), user="U0DEV")
    assert opened.request is not None, opened.problem
    client = WebClient(token=BOT_TOKEN, base_url=stack.console.api_url)
    announce_request(client, services, opened.request, user="U0DEV", respond=lambda **_: None)
    message = stack.console.messages(case.channel)[-1]
    return opened.request.id, str(message["id"])


def _click(stack: Stack, case: Case, message_id: str) -> threading.Thread:
    thread = threading.Thread(
        target=stack.console.click,
        kwargs={"user_id": case.approver, "message_id": message_id, "action_id": "cleanup_approve"},
        daemon=True,
    )
    thread.start()
    return thread


def _wait_final(services: Services, request_id: int, timeout: float = 90) -> Any:
    from bot.remediation import requests as store

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with services.db.session() as session:
            request = store.get_request(session, request_id)
        if request is not None and request.state in ("executed", "failed"):
            return request
        time.sleep(0.25)
    raise AssertionError(f"request {request_id} still {request.state if request else None}")


def _trail(services: Services, request_id: int) -> list[tuple[str, str]]:
    return [
        (e["status"], str(e["detail"].get("step", "")))
        for e in events(services.db)
        if e["request_id"] == request_id
    ]


def interrupt(
    tmp_path: Path, database_url: str, stack: Stack, case: Case, call: str, *, forward: bool
) -> tuple[Services, int, str, str]:
    """Request, approve through the running bot, kill it while `call` is held, let the
    call reach moto (or drop it), restart the bot and wait for the request to end."""
    services, env = _services(tmp_path, database_url, stack)
    session = boto3.Session(region_name="us-east-1")
    resource = case.make(session)
    request_id, message_id = _open_and_post(services, stack, case, resource)
    stack.proxy.clear()
    bot = Bot(env, tmp_path / "bot.log").start()
    stack.console.bot_url = f"{bot.url}/slack/events"
    rule = stack.proxy.hold(call, seconds=1.5, forward=forward)
    try:
        _click(stack, case, message_id)
        assert rule.in_flight.wait(30), (tmp_path / "bot.log").read_text()[-3000:]
        time.sleep(0.2)
        bot.kill()
        assert rule.finished.wait(10)
        again = Bot(env, tmp_path / "bot.log").start()
        stack.console.bot_url = f"{again.url}/slack/events"
        try:
            final = _wait_final(services, request_id)
            _wait_redrawn(services, stack, message_id, f"({final.state})")  # while it runs
        finally:
            again.stop()
    finally:
        bot.stop()
    return services, request_id, resource, message_id


def _wait_redrawn(services: Services, stack: Stack, message_id: str, shows: str) -> None:
    """Wait for the approval message to show `shows`, with the restarted bot running: the
    redraw follows the final write, and a row the killed bot held is sent once its outbox
    lease (60 s) lapses."""

    def redrawn() -> bool:
        shown = stack.console.state.find_message(message_id)
        return shown is not None and shows in shown["text"]

    try:
        stack.console.wait_for(redrawn, timeout=LEASE.total_seconds() + 30)
    except AssertionError as exc:
        with services.db.session() as session:
            rows = [
                (r.dedupe_key, r.state, r.revision, r.delivered_revision, r.claimed_by)
                for r in session.scalars(select(OutboxMessage))
            ]
        raise AssertionError(f"{exc}\noutbox: {rows}") from None


def check_end(
    services: Services, stack: Stack, case: Case, request_id: int, resource: str, message_id: str
) -> None:
    from bot.remediation import requests as store

    with services.db.session() as session:
        request = store.get_request(session, request_id)
    assert request is not None and request.state == "executed", request and request.result
    session = boto3.Session(region_name="us-east-1")
    assert case.gone(session, resource)
    for call in case.calls:  # nothing done twice, nothing left undone
        assert stack.proxy.reached[call] == 1, (call, dict(stack.proxy.reached))
    trail = _trail(services, request_id)
    for step_call, step in zip(case.calls, _steps(request.action), strict=True):
        assert ("step_done", step) in trail, (step_call, trail)
    assert [s for s, _ in trail].count("reconciled") == 1
    assert trail[-1][0] == "reconciled" and ("executed", "") in trail
    if case.undo:
        assert request.restore is not None and request.restore_state == "available"
    assert verify(services.db, now=services.now()) == []

    shown = stack.console.state.find_message(message_id)  # redrawn before the bot stopped
    assert shown is not None and "(executed)" in shown["text"], shown


def _steps(action: str) -> list[str]:
    from bot.remediation.actions import ACTIONS
    from tests.crash_helpers import _any_finding

    return [s.name for s in ACTIONS[action].steps(_any_finding(action))]
