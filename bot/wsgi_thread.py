"""Serve a WSGI application with waitress in a daemon thread, and stop it again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BackgroundServer:
    """A WSGI app served on ``host:port`` (0 picks a free port) from a daemon thread.

    Used for the bot in the demo and tests, and for the local stand-ins.
    """

    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        name: str = "wsgi",
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        server = create_server(app, host=host, port=port, threads=threads, ident=name)
        if not isinstance(server, BaseWSGIServer):  # pragma: no cover - one host, one socket
            raise RuntimeError("expected a single listening socket")
        self._server: Any = server  # the stubs miss trigger.pull_trigger and _map
        self._on_stop = on_stop
        self.answers: Any = None  # the bot's answer process, when it has one
        self.host = host
        self.port = int(server.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = threading.Thread(
            target=server.run, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and connections, then end the worker threads."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        loop = self._server
        # close every socket from inside the serving loop, which then returns
        try:
            loop.trigger.pull_trigger(lambda: wasyncore.close_all(loop._map, ignore_all=True))
        except OSError:
            # The wake-up pipe is already gone (its descriptor was closed under it, e.g.
            # a reused fd number closed twice elsewhere): close the sockets from here;
            # the loop notices on its next poll (at most its 1 s timeout) and returns.
            wasyncore.close_all(loop._map, ignore_all=True)
        thread.join(timeout=5)
        loop.task_dispatcher.shutdown(timeout=2)
        if self._on_stop is not None:
            self._on_stop()
