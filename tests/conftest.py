"""Shared fixtures: config files, databases (SQLite file and real PostgreSQL), services."""

from __future__ import annotations

import os
import secrets
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.config import Settings
from bot.demo import DemoStack
from bot.services import Services, build_services
from standins.slack_console import SlackConsole

POSTGRES_URL = os.environ.get(
    "FINOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

TEST_CONFIG = textwrap.dedent(
    """\
    finops:
      regions: [us-east-1, eu-west-1]
      accounts: []
      default_channel: C0FINOPS
      tags: {team: Team, owner: Owner, required: [Environment, Team, Project, Owner]}
      teams:
        payments: {channel: C0PAY, approvers: [U0LEAD], monthly_budget: 1000}
        search:   {channel: C0SRCH, approvers: [U0SLEAD]}
      digest: {channel: C0MGMT}
    """
)

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


def need_or_skip(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where everything must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run every test)")
    pytest.skip(reason)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A valid finops.yml in a temporary directory."""
    path = tmp_path / "finops.yml"
    path.write_text(TEST_CONFIG)
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in a temporary directory."""
    return f"sqlite:///{tmp_path / 'finops-test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the PostgreSQL server at FINOPS_TEST_POSTGRES_URL, dropped afterwards."""
    try:
        admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        need_or_skip(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}); "
            "set FINOPS_TEST_POSTGRES_URL to a server you can create schemas in"
        )
    schema = f"finops_test_{secrets.token_hex(4)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on a SQLite file and on a real PostgreSQL server."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


def make_env(config_file: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment a deployment would set."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url,
        "FINOPS_CONFIG": str(config_file),
    }
    env.update(extra)
    return env


@pytest.fixture
def services(config_file: Path, sqlite_url: str) -> Iterator[Services]:
    """Services on a migrated SQLite file with the test config."""
    built = build_services(Settings.from_env(make_env(config_file, sqlite_url)))
    yield built
    built.db.dispose()


def slack_signature(secret: str, timestamp: str, body: str) -> str:
    """What Slack puts in X-Slack-Signature."""
    import hashlib
    import hmac

    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


CHANNELS = {"C0FINOPS": "finops", "C0PAY": "payments", "C0SRCH": "search", "C0MGMT": "mgmt"}
USERS = {
    "U0DEV": {"name": "sam", "email": "sam@example.com"},
    "U0LEAD": {"name": "priya", "email": "priya@example.com"},
    "U0SLEAD": {"name": "lee", "email": "lee@example.com"},
}


def start_console(
    *,
    signing_secret: str = SIGNING_SECRET,
    bot_token: str = BOT_TOKEN,
    channels: dict[str, str] | None = None,
    users: dict[str, dict[str, str]] | None = None,
) -> SlackConsole:
    """The Slack console, started, with the tests' signing secret, token, channels and users
    unless given; set its `bot_url` once the bot is up."""
    console = SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=signing_secret,
        bot_token=bot_token,
        channels=CHANNELS if channels is None else channels,
        users=USERS if users is None else users,
    )
    console.start()
    return console


@dataclass
class SlackStack:
    """The bot served over HTTP, with the local console standing in for Slack."""

    console: SlackConsole
    url: str
    services: Services


@pytest.fixture
def slack_stack(config_file: Path, sqlite_url: str) -> Iterator[SlackStack]:
    """Console (Slack Web API + signed deliveries) and the bot's HTTP server, both real."""
    from bot.server import start_http_in_thread

    console = start_console()
    env = make_env(config_file, sqlite_url, SLACK_API_URL=console.api_url)
    built = build_services(Settings.from_env(env))
    running = start_http_in_thread(built)
    console.bot_url = f"{running.url}/slack/events"
    yield SlackStack(console=console, url=running.url, services=built)
    running.stop()
    console.stop()
    built.db.dispose()


@pytest.fixture
def bot_server(slack_stack: SlackStack) -> str:
    """Base URL of the bot's HTTP server."""
    return slack_stack.url


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoStack]:
    """The whole offline demo (moto server, Cost Explorer stand-in, console, bot), per module.

    It sets the process environment as a user would; the environment is restored and
    moto's in-process state reset afterwards.
    """
    from moto.moto_api._internal.models import moto_api_backend

    from bot.demo import start_demo

    saved = dict(os.environ)
    moto_api_backend.reset()  # moto keeps its state per process: another demo may have run
    stack = start_demo()
    yield stack
    stack.stop()
    moto_api_backend.reset()
    os.environ.clear()
    os.environ.update(saved)
