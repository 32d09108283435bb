"""Starting the offline demo stack: moto server, Cost Explorer stand-in, Slack console, bot."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEMO_CONFIG = Path(__file__).with_name("finops.demo.yml")
DEMO_BOT_TOKEN = "xoxb-local-demo"  # the console's own token; not a Slack secret

DEMO_CHANNELS = {
    "C0FINOPS": "finops",
    "C0PAY": "payments",
    "C0SRCH": "search",
    "C0DATA": "data",
    "C0MGMT": "finops-digest",
}
DEMO_USERS = {
    "U0DEV": {"name": "sam (engineer)", "email": "sam@example.com"},
    "U0LEAD": {"name": "priya (payments lead)", "email": "priya@example.com"},
    "U0PAYDEV": {"name": "dana (payments)", "email": "dana@example.com"},
    "U0SLEAD": {"name": "lee (search lead)", "email": "lee@example.com"},
    "U0DLEAD": {"name": "kim (data lead)", "email": "kim@example.com"},
}


@dataclass
class DemoStack:
    """Everything the demo started, so it can be stopped (and inspected by tests)."""

    console_url: str
    bot_url: str
    aws_url: str
    cost_explorer_url: str
    workdir: str
    parts: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    console: Any = None
    cost_explorer: Any = None

    def stop(self) -> None:
        """Stop every part, newest first."""
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception:  # pragma: no cover - shutting down anyway
                log.debug("stopping %r failed", part, exc_info=True)


def _demo_environment(workdir: str, signing_secret: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "MOTO_ACCOUNT_ID": "111111111111",  # the demo cost data's production account
        "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": signing_secret,
        "DATABASE_URL": f"sqlite:///{Path(workdir) / 'finops-demo.db'}",
        "FINOPS_CONFIG": str(DEMO_CONFIG),
    }


class PortTaken(Exception):
    """The console's port is in use (and a free one was not wanted)."""


def port_is_free(host: str, port: int) -> bool:
    """Whether `host:port` can be listened on now (0: any free port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port the system says is free on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def demo_command() -> str:
    """How to run `finops-bot` as this process was run: the full path of the script (or
    `python -m bot.cli`), so printed commands work without an activated venv."""
    script = Path(sys.argv[0])
    if script.name == "finops-bot" and script.exists():
        return shlex.quote(str(script.absolute()))
    beside = Path(sys.executable).with_name("finops-bot")
    if beside.exists():
        return shlex.quote(str(beside))
    return f"{shlex.quote(sys.executable)} -m bot.cli"


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read (it holds the signing secret)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, 0o600)


def start_demo(*, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None) -> DemoStack:
    """Start the demo stack in this process (background threads); returns its addresses.

    Sets the process environment (AWS endpoints, fake credentials, Slack URL) the way a
    user would for a real deployment, so the bot's real code paths run unchanged.
    Raises PortTaken (before anything is seeded) when `port` is in use.
    """
    if port and not port_is_free(host, port):
        raise PortTaken(f"port {port} on {host} is already in use")
    workdir = tempfile.mkdtemp(prefix="finops-demo-")
    try:
        return _start(workdir, host=host, port=port, now=now)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _start(workdir: str, *, host: str, port: int, now: datetime | None) -> DemoStack:
    signing_secret = secrets.token_hex(16)
    env = _demo_environment(workdir, signing_secret)
    os.environ.update(env)
    now = now or datetime.now(UTC)

    import boto3
    from moto.server import ThreadedMotoServer

    from bot.config import Settings
    from bot.server import start_http_in_thread
    from bot.services import build_services
    from standins.cost_explorer import CostExplorerStandin
    from standins.demo_data import demo_line_items
    from standins.demo_estate import age_demo_estate, seed_demo_estate
    from standins.slack_console import SlackConsole

    parts: list[Any] = []
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    parts.append(moto)
    moto_host, moto_port = moto.get_host_and_port()
    aws_url = f"http://{moto_host}:{moto_port}"
    os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"] = aws_url
    log.info("seeding the demo AWS estate in moto at %s", aws_url)
    summary = seed_demo_estate(
        session=boto3.Session(region_name="us-east-1"),
        regions=("us-east-1", "eu-west-1"),
        now=now,
        endpoint_url=aws_url,
    )
    age_demo_estate(summary, now)  # realistic ages for the real default age rules

    cost_explorer = CostExplorerStandin(demo_line_items(today=now.date()), today=now.date())
    ce_url = cost_explorer.start()
    parts.append(cost_explorer)
    os.environ["AWS_ENDPOINT_URL_COST_EXPLORER"] = env["AWS_ENDPOINT_URL_COST_EXPLORER"] = ce_url

    console = SlackConsole(
        bot_url="http://127.0.0.1:0/slack/events",
        signing_secret=signing_secret,
        bot_token=DEMO_BOT_TOKEN,
        channels=DEMO_CHANNELS,
        users=DEMO_USERS,
    )
    console_url = console.start(host=host, port=port)
    parts.append(console)
    os.environ["SLACK_API_URL"] = env["SLACK_API_URL"] = console.api_url

    services = build_services(Settings.from_env())
    bot = start_http_in_thread(services)
    parts.append(bot)
    from bot.slack.worker import worker_for

    parts.append(worker_for(services).start())  # delivers the outbox (retries after a 429)
    warm_inventory(services)
    console.bot_url = f"{bot.url}/slack/events"
    return DemoStack(
        console_url=console_url,
        bot_url=bot.url,
        aws_url=aws_url,
        cost_explorer_url=ce_url,
        workdir=workdir,
        parts=parts,
        env=env,
        console=console,
        cost_explorer=cost_explorer,
    )


def warm_inventory(services: Any) -> None:
    """Start filling the findings inventory in the background, as the clock's `inventory`
    job would in a deployment (listings answer "scanning…" until it lands)."""
    from bot.findings.scope import ScanFilter
    from bot.inventory.listing import all_kinds, target_keys
    from bot.inventory.refresh import refresher_for

    refresher_for(services).refresh(target_keys(services, all_kinds(), ScanFilter()))


def run_demo(
    *, host: str = "127.0.0.1", port: int = 3030, keep: bool = False, pick_free: bool = True
) -> int:
    """Start the demo and serve until Ctrl-C (or SIGTERM); the temporary folder (with the
    signing secret) is removed on the way out unless `keep`."""
    if not port_is_free(host, port):
        if not pick_free:
            print(
                f"finops-bot: port {port} on {host} is already in use; "
                "choose another with --port N",
                file=sys.stderr,
            )
            return 2
        taken, port = port, free_port(host)
        print(
            f"Port {taken} on {host} is already in use; the console uses port {port} instead "
            "(choose one with --port N).",
            flush=True,
        )
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack = start_demo(host=host, port=port)
    except PortTaken as exc:
        signal.signal(signal.SIGTERM, previous)
        print(f"finops-bot: {exc}; choose another with --port N", file=sys.stderr)
        return 2
    try:
        _serve(stack, stopped, keep=keep)
    finally:
        stack.stop()
        if not keep:
            shutil.rmtree(stack.workdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
    print("demo stopped" + (f"; its files are kept in {stack.workdir}" if keep else ""))
    return 0


def _serve(stack: DemoStack, stopped: threading.Event, *, keep: bool) -> None:
    env_file = Path(stack.workdir) / "demo.env"
    write_private(
        env_file, "".join(f"{name}={value}\n" for name, value in sorted(stack.env.items()))
    )
    command = demo_command()
    kept = "kept after it stops (--keep)" if keep else "removed when the demo stops"
    print(
        "\nfinops-bot demo is running (offline: moto, a Cost Explorer stand-in, a local Slack).\n"
        f"  Open {stack.console_url} and type a command, e.g. /finops help\n"
        f"  Bot: {stack.bot_url}/slack/events   AWS (moto): {stack.aws_url}\n"
        "  From another terminal, with the demo's environment:\n"
        f"    env $(cat {env_file}) {command} run-job anomalies   # or budgets, digest\n"
        f"    env $(cat {env_file}) {command} audit --format csv\n"
        f"  Its files ({stack.workdir}) are {kept}.\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
