"""kill -9 of a real `finops-bot serve` between the state change and its Slack delivery:
after a restart the approval request is delivered exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from standins.slack_console import SlackConsole
from storage import outbox
from storage.db import Database
from tests.conftest import make_env
from tests.orphans_fixtures import CONFIG, Estate
from tests.outbox_fixtures import answer_to, approvals, console, moto_env, moto_url, request_cleanup  # noqa: F401


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Bot:
    """`finops-bot serve` as a child process."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.cwd / "bot.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group: serve and its answer process
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.cwd / "bot.log").read_text()
            try:
                answer = requests.get(f"{self.url}/healthz", timeout=1)
                if answer.ok and answer.json().get("answer_process") == "ready":
                    return  # its answer process up too, as in production
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("the bot did not start:\n" + (self.cwd / "bot.log").read_text())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the machine dies: both
            self.process.wait(10)


@pytest.fixture
def bot(tmp_path: Path, moto_env: dict[str, str], console: SlackConsole) -> Iterator[Bot]:
    config = tmp_path / "finops.yml"
    config.write_text(CONFIG)
    env = {
        **os.environ,
        **moto_env,
        **make_env(config, f"sqlite:///{tmp_path / 'bot.db'}", SLACK_API_URL=console.api_url),
        "PORT": str(free_port()),
    }
    env.pop("SLACK_APP_TOKEN", None)
    running = Bot(env, tmp_path)
    console.bot_url = f"{running.url}/slack/events"
    yield running
    running.kill()


def test_kill_between_state_change_and_delivery_delivers_once_after_restart(
    bot: Bot, console: SlackConsole
) -> None:
    volume = Estate(boto3.Session(region_name="us-east-1")).volume(100, "gp2", "payments")
    bot.start()
    console.fail("chat.postMessage", channel="C0PAY", retry_after=2)  # Slack busy for now
    request_cleanup(console, volume)
    console.wait_for(lambda: answer_to(console, "U0DEV", "queued for"), timeout=20)
    db = Database(bot.env["DATABASE_URL"])
    with db.session() as session:
        row = outbox.find(session, outbox.approval_key(1))
        assert row is not None and row.state == "pending" and row.ts is None
    bot.kill()  # kill -9: the request is recorded, its approval message not delivered
    assert approvals(console, "C0PAY", volume) == []
    console.clear_faults()
    bot.start()
    posted = console.wait_for(lambda: approvals(console, "C0PAY", volume), timeout=20)
    time.sleep(2)  # any second copy would be out by now
    assert len(approvals(console, "C0PAY", volume)) == 1
    with db.session() as session:
        row = outbox.find(session, outbox.approval_key(1))
        assert row is not None and row.state == "delivered" and row.ts == posted[0]["ts"]
    # the requester's copy also went out once
    console.wait_for(lambda: console.messages("D0DEV"), timeout=10)
    assert len(console.messages("D0DEV")) == 1
    db.dispose()
