"""Starting the offline demo stack: moto server, Cost Explorer stand-in, Slack console, bot."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
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


def start_demo(*, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None) -> DemoStack:
    """Start the demo stack in this process (background threads); returns its addresses.

    Sets the process environment (AWS endpoints, fake credentials, Slack URL) the way a
    user would for a real deployment, so the bot's real code paths run unchanged.
    """
    workdir = tempfile.mkdtemp(prefix="finops-demo-")
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
    from standins.demo_estate import seed_demo_estate
    from standins.slack_console import SlackConsole

    parts: list[Any] = []
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    parts.append(moto)
    moto_host, moto_port = moto.get_host_and_port()
    aws_url = f"http://{moto_host}:{moto_port}"
    os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"] = aws_url
    log.info("seeding the demo AWS estate in moto at %s", aws_url)
    seed_demo_estate(
        session=boto3.Session(region_name="us-east-1"),
        regions=("us-east-1", "eu-west-1"),
        now=now,
        endpoint_url=aws_url,
    )

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


def run_demo(*, host: str = "127.0.0.1", port: int = 3030) -> int:
    """Start the demo and serve until Ctrl-C (or SIGTERM)."""
    stack = start_demo(host=host, port=port)
    env_file = Path(stack.workdir) / "demo.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in sorted(stack.env.items())))
    print(
        "\nfinops-bot demo is running (offline: moto, a Cost Explorer stand-in, a local Slack).\n"
        f"  Open {stack.console_url} and type a command, e.g. /finops help\n"
        f"  Bot: {stack.bot_url}/slack/events   AWS (moto): {stack.aws_url}\n"
        "  From another terminal, with the demo's environment:\n"
        f"    env $(cat {env_file}) finops-bot run-job anomalies   # or budgets, digest\n"
        f"    env $(cat {env_file}) finops-bot audit --format csv\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stack.stop()
    print("demo stopped")
    return 0
