"""The `finops-bot` command line, run as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import make_env

BIN = [sys.executable, "-m", "bot.cli"]


def run(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(BIN + args, env=full_env, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command() -> None:
    result = run(["--help"], {})
    assert result.returncode == 0
    for name in ("serve", "clock", "run-job", "demo", "db"):
        assert name in result.stdout


def test_bad_config_is_one_line_and_no_traceback(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "finops.yml"
    config.write_text(
        "finops:\n  regions: [us-east-1]\n  default_channel: C0X\n"
        "  teams:\n    payments: {approvers: [U0LEAD]}\n"
    )
    result = run(["serve"], make_env(config, sqlite_url))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"finops-bot: {config}: teams.payments.channel is missing"
    )
    assert "Traceback" not in result.stderr


def test_serve_without_slack_secrets_says_what_is_missing(
    config_file: Path, sqlite_url: str
) -> None:
    env = make_env(config_file, sqlite_url, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    result = run(["serve"], env)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_and_run_job(config_file: Path, sqlite_url: str) -> None:
    env = make_env(config_file, sqlite_url)
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert re.search(r"is at revision \d{4}\n", upgraded.stdout), upgraded.stdout
    job = run(["run-job", "housekeeping"], env)
    assert job.returncode == 0, job.stderr
    assert job.stdout.startswith("housekeeping: ok removed 0 job runs")
    unknown = run(["run-job", "housekeping"], env)
    assert unknown.returncode == 2
    assert 'No job named "housekeping" — did you mean housekeeping?' in unknown.stderr


def test_clock_shuts_down_cleanly_on_sigterm(config_file: Path, sqlite_url: str) -> None:
    env = {**os.environ, **make_env(config_file, sqlite_url)}
    process = subprocess.Popen([*BIN, "clock"], env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if "clock started with jobs:" in line and "housekeeping (cron" in line:
            break
    else:  # pragma: no cover - reported by the assertion below
        process.kill()
    assert any("clock started" in line for line in lines), lines
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=20)[1]
    assert process.wait(timeout=15) == 0, rest
    assert "received SIGTERM" in rest
    assert "clock stopped" in rest


def test_serve_with_unreachable_slack_says_so(config_file: Path, sqlite_url: str) -> None:
    env = make_env(config_file, sqlite_url, SLACK_API_URL="http://127.0.0.1:9/api/")
    result = run(["serve"], env)
    assert result.returncode == 2
    assert "Slack Web API check (auth.test at http://127.0.0.1:9/api/) failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_healthz_and_stops_on_sigterm(config_file: Path, sqlite_url: str) -> None:
    import socket

    import requests

    from standins.slack_console import SlackConsole
    from tests.conftest import BOT_TOKEN, SIGNING_SECRET

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    console = SlackConsole(
        bot_url=f"http://127.0.0.1:{port}/slack/events",
        signing_secret=SIGNING_SECRET,
        bot_token=BOT_TOKEN,
    )
    console.start()
    env = {
        **os.environ,
        **make_env(config_file, sqlite_url, PORT=str(port), SLACK_API_URL=console.api_url),
    }
    process = subprocess.Popen([*BIN, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health is not None and health.status_code == 200
        assert health.json()["database"] == "ok"
        delivery = console.send_command(
            user_id="U0LOCAL", channel_id="C0GENERAL", text="/finops help"
        )
        assert delivery.status == 200
        assert console.wait_for(lambda: console.ephemerals("U0LOCAL"))[-1]["text"] == (
            "finops-bot commands"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=20)[1]
        console.stop()
    assert process.returncode == 0, stderr
    assert "HTTP server stopped" in stderr
    assert "xoxb-test-token" not in stderr  # secrets never logged
