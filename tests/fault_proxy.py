"""A small HTTP proxy in front of a moto server that can hold or fail one AWS call.

`hold("DeleteVolume", seconds=3)`: the next DeleteVolume waits 3 s, then reaches moto
(whether or not its caller is still alive: AWS, too, finishes a call its caller gave up
on), or is dropped with `forward=False` (the call never reached AWS). `fail(...)` answers
an AWS-style error without forwarding. Every call that reached moto is counted by its
operation name (Query `Action=`, JSON `X-Amz-Target`, S3 lifecycle by its path).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Rule:
    """What to do with the next call of one operation."""

    seconds: float = 0.0
    forward: bool = True
    fail_status: int | None = None
    in_flight: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


def operation_of(method: str, path: str, headers: Any, body: bytes) -> str:
    """The AWS operation of a request (best effort; '' when unknown)."""
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if body and b"Action=" in body:
        values = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if values:
            return values[0]
    query = parse_qs(urlsplit(path).query, keep_blank_values=True)
    if "Action" in query:
        return query["Action"][0]
    if "lifecycle" in query:
        return (
            {"PUT": "PutBucketLifecycleConfiguration", "GET": "GetBucketLifecycleConfiguration"}[
                method
            ]
            if method in ("PUT", "GET")
            else "DeleteBucketLifecycle"
        )
    return f"S3:{method}"


class FaultProxy:
    """The proxy; `url` is what the bot's AWS_ENDPOINT_URL points at."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._rules: dict[str, Rule] = {}
        self._lock = threading.Lock()
        self.reached: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy._serve(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the proxy."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def hold(self, operation: str, *, seconds: float, forward: bool = True) -> Rule:
        """Hold the next call of `operation` for `seconds`, then forward it (or drop it)."""
        rule = Rule(seconds=seconds, forward=forward)
        with self._lock:
            self._rules[operation] = rule
        return rule

    def fail(self, operation: str, *, status: int = 503) -> Rule:
        """Answer the next call of `operation` with an error, not forwarding it."""
        rule = Rule(fail_status=status)
        with self._lock:
            self._rules[operation] = rule
        return rule

    def clear(self) -> None:
        """Forget every rule and count."""
        with self._lock:
            self._rules.clear()
            self.reached.clear()

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        operation = operation_of(handler.command, handler.path, handler.headers, body)
        with self._lock:
            rule = self._rules.pop(operation, None)
        if rule is not None:
            rule.in_flight.set()
            if rule.fail_status is not None:
                self._answer_error(handler, rule.fail_status)
                rule.finished.set()
                return
            time.sleep(rule.seconds)
            if not rule.forward:
                rule.finished.set()
                return  # never reached AWS; the caller (if alive) sees a dropped connection
        status, headers, data = self._forward(handler, body)
        with self._lock:
            self.reached[operation] += 1
        if rule is not None:
            rule.finished.set()
        try:
            handler.send_response(status)
            for key, value in headers:
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(data)
        except OSError:
            pass  # the caller died meanwhile

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            headers["Host"] = f"{self._upstream[0]}:{self._upstream[1]}"
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    @staticmethod
    def _answer_error(handler: BaseHTTPRequestHandler, status: int) -> None:
        data = (
            b"<Response><Errors><Error><Code>ServiceUnavailable</Code>"
            b"<Message>injected by the test proxy</Message></Error></Errors></Response>"
        )
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "text/xml")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass
