"""BackgroundServer: serves, and stops cleanly even when its wake-up pipe is already gone
(a teardown error seen when fd numbers were reused under a loaded machine)."""

from __future__ import annotations

import os
import socket
import urllib.request
from typing import Any

import pytest

from bot.wsgi_thread import BackgroundServer


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_serves_and_stops() -> None:
    server = BackgroundServer(hello)
    with urllib.request.urlopen(server.url, timeout=5) as answer:
        assert answer.read() == b"hello"
    server.stop()
    assert refused(server.port)
    server.stop()  # twice is harmless


def test_stops_when_the_wake_up_pipe_was_closed_under_it() -> None:
    server = BackgroundServer(hello)
    trigger = server._server.trigger
    os.close(trigger.trigger)  # what a double close elsewhere does to a reused fd number
    with pytest.raises(OSError):
        trigger.pull_trigger()
    server.stop()
    assert refused(server.port)
    assert server._thread is None
