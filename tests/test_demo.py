"""`finops-bot demo`: the whole stack offline, as a new user runs it."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import requests

from bot.demo import DemoStack
from tests.browser_fixtures import _wait, driver  # noqa: F401 - the browser fixture


def test_demo_bot_is_healthy_and_wired_to_the_stand_ins(demo: DemoStack) -> None:
    health = requests.get(f"{demo.bot_url}/healthz", timeout=5).json()
    assert health["status"] == "ok" and health["teams"] == 3
    # The bot's environment points boto3 at moto and the Cost Explorer stand-in.
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    assert any(v["State"] == "available" for v in ec2.describe_volumes()["Volumes"])
    ce = boto3.client("ce", region_name="us-east-1")
    assert ce.meta.endpoint_url == demo.cost_explorer_url
    yesterday = demo.cost_explorer.today().toordinal() - 1
    from datetime import date

    start = date.fromordinal(yesterday - 6).isoformat()
    end = date.fromordinal(yesterday + 1).isoformat()
    result = ce.get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity="DAILY", Metrics=["UnblendedCost"]
    )
    assert len(result["ResultsByTime"]) == 7
    assert all(float(r["Total"]["UnblendedCost"]["Amount"]) > 0 for r in result["ResultsByTime"])


def test_demo_answers_help_through_the_console(demo: DemoStack) -> None:
    console = demo.console
    delivery = console.send_command(user_id="U0DEV", channel_id="C0FINOPS", text="/finops help")
    assert delivery.status == 200
    answer = console.wait_for(lambda: console.ephemerals("U0DEV"))[-1]
    assert answer["text"] == "finops-bot commands"


def test_a_person_uses_the_demo_page(demo: DemoStack, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(demo.console_url)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".channel[data-id=C0PAY]"))
    driver.find_element(By.CSS_SELECTOR, ".channel[data-id=C0PAY]").click()
    Select(driver.find_element(By.ID, "user")).select_by_value("U0PAYDEV")
    driver.find_element(By.ID, "command").send_keys("/finops help")
    driver.find_element(By.ID, "send").click()
    message = _wait(
        driver,
        lambda d: [
            m
            for m in d.find_elements(By.CSS_SELECTOR, ".message.ephemeral")
            if "finops-bot: AWS spend" in m.text
        ],
    )[0]
    assert "/finops help" in message.text
    assert "Only visible to you" in message.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_command_starts_prints_its_address_and_stops_on_sigterm(tmp_path: Any) -> None:
    port = free_port()
    # The asked-for port is taken: the demo says so and uses a free one (nothing crashes).
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", port))
    taken.listen()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Press Ctrl-C" in line:
            break
    text = "".join(seen)
    try:
        assert f"Port {port} on 127.0.0.1 is already in use" in text, text
        match = re.search(r"Open (http://127.0.0.1:(\d+))", text)
        assert match is not None and int(match.group(2)) != port, text
        page = requests.get(match.group(1), timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        env_match = re.search(r"env \$\(cat (\S+/demo.env)\) (\S+) run-job", text)
        assert env_match is not None, text
        env_file = Path(env_match.group(1))
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        # The printed command is a full path that works without an activated venv.
        assert env_match.group(2).startswith("/") and Path(env_match.group(2)).exists()
    finally:
        taken.close()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "demo stopped" in output
    assert "Traceback" not in text + output
    assert not env_file.parent.exists()  # the temporary folder (and its secret) is gone
