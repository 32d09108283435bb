"""A bot replica with a chosen answer pool and replaced command handlers, served over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import handlers
from bot.app import create_app
from bot.config import Settings
from bot.services import Services, build_services
from bot.web import BotWsgi
from bot.workers import AnswerPool
from bot.wsgi_thread import BackgroundServer
from standins.slack_console import SlackConsole
from tests.conftest import make_env


@dataclass
class Replica:
    """One bot process's parts: its services, pool, WSGI app and HTTP server."""

    services: Services
    pool: AnswerPool
    wsgi: BotWsgi
    server: BackgroundServer

    @property
    def url(self) -> str:
        return self.server.url


def replace_command(
    monkeypatch: pytest.MonkeyPatch, name: str, handler: Callable[..., Any]
) -> None:
    """Answer `name` with `handler` in apps created from now on."""
    specs = [
        handlers.CommandSpec(s.name, s.usage, s.summary, handler) if s.name == name else s
        for s in handlers.COMMANDS
    ]
    monkeypatch.setattr(handlers, "COMMANDS", specs)


@contextmanager
def replica(
    config_file: Path,
    database_url: str,
    console: SlackConsole,
    *,
    workers: int = 2,
    max_queued: int = 10,
) -> Iterator[Replica]:
    """A bot replica on `database_url` talking to `console`."""
    env = make_env(config_file, database_url, SLACK_API_URL=console.api_url)
    services = build_services(Settings.from_env(env))
    pool = AnswerPool(workers=workers, max_queued=max_queued, name="test-answer")
    wsgi = BotWsgi(create_app(services, pool=pool), services)
    server = BackgroundServer(wsgi, threads=8, name="bot-replica")
    try:
        yield Replica(services=services, pool=pool, wsgi=wsgi, server=server)
    finally:
        server.stop()
        pool.stop(timeout=2)
        services.db.dispose()
