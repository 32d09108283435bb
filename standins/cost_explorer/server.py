"""The stand-in itself: an AWS JSON 1.1 WSGI app, served by waitress in a daemon thread."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from bot.wsgi_thread import BackgroundServer

from .catalog import get_dimension_values, get_tags
from .cost_and_usage import get_cost_and_usage
from .dataset import Dataset
from .errors import CostExplorerError
from .forecast import get_cost_forecast
from .line_items import LineItem
from .paging import PageTokens

TARGET_PREFIX = "AWSInsightsIndexService."
CONTENT_TYPE = "application/x-amz-json-1.1"

StartResponse = Callable[..., Any]

#: Messages for `fail_next` errors, by code.
_FAILURE_MESSAGES = {
    "LimitExceededException": "Rate exceeded",
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "The request processing has failed because of an unknown error.",
    "ServiceUnavailable": "The service is unavailable. Please try again later.",
}


class CostExplorerStandin:
    """Cost Explorer over HTTP, computed from line items.

    Point boto3 at it with `endpoint_url=` or `AWS_ENDPOINT_URL_COST_EXPLORER`.
    """

    def __init__(
        self,
        line_items: Iterable[LineItem],
        *,
        today: date | Callable[[], date],
        estimated_days: int = 2,
        page_size: int = 500,
        account_names: Mapping[str, str] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._dataset = Dataset(line_items)
        self._today = today
        self.estimated_days = estimated_days
        self.page_size = page_size
        self.account_names = dict(account_names or {})
        self._tokens = PageTokens()
        self._lock = threading.Lock()
        self._failures: list[tuple[str, int]] = []
        self.request_count = 0
        self.requests: list[tuple[str, dict[str, Any]]] = []
        #: Seconds every GetCostAndUsage / GetCostForecast answer is held (a slow Cost Explorer).
        self.delay_seconds = 0.0
        self._server: Any = None
        self.url: str | None = None

    # -- test controls -------------------------------------------------------------

    def today(self) -> date:
        """The stand-in's current date (UTC, as Cost Explorer counts days)."""
        return self._today() if callable(self._today) else self._today

    def revise(self, line_items: Iterable[LineItem]) -> None:
        """Replace the line items, as Cost Explorer does when it revises recent days."""
        with self._lock:
            self._dataset = Dataset(line_items)

    def fail_next(self, n: int, code: str = "LimitExceededException", status: int = 400) -> None:
        """Answer the next `n` requests with error `code` and HTTP `status`.

        Cost Explorer throttles with `LimitExceededException` (400); use e.g.
        `("InternalFailure", 500)` or `("ServiceUnavailable", 503)` for server errors.
        """
        with self._lock:
            self._failures.extend([(code, status)] * n)

    def reset_counters(self) -> None:
        """Forget the requests seen so far and any pending `fail_next` errors."""
        with self._lock:
            self.request_count = 0
            self.requests.clear()
            self._failures.clear()

    def operations(self) -> list[str]:
        """The operation names received so far, in order."""
        with self._lock:
            return [operation for operation, _ in self.requests]

    # -- serving -----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the endpoint URL (http://host:port)."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._server = BackgroundServer(
            self.wsgi_app, host=host, port=port, threads=4, name="cost-explorer-standin"
        )
        self.url = self._server.url
        return self.url

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self.url = None

    def __enter__(self) -> CostExplorerStandin:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the protocol ------------------------------------------------------------------

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one operation (raises CostExplorerError); no HTTP, no counting."""
        today, dataset = self.today(), self._dataset
        if operation == "GetCostAndUsage":
            return get_cost_and_usage(
                params,
                dataset=dataset,
                today=today,
                estimated_days=self.estimated_days,
                page_size=self.page_size,
                tokens=self._tokens,
                account_names=self.account_names,
            )
        if operation == "GetCostForecast":
            return get_cost_forecast(params, dataset=dataset, today=today)
        if operation == "GetDimensionValues":
            return get_dimension_values(
                params,
                dataset=dataset,
                today=today,
                tokens=self._tokens,
                page_size=self.page_size,
                account_names=self.account_names,
            )
        if operation == "GetTags":
            return get_tags(
                params, dataset=dataset, today=today, tokens=self._tokens, page_size=self.page_size
            )
        raise CostExplorerError(
            "UnknownOperationException", f"The operation {operation} is not supported"
        )

    def wsgi_app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI callable: POST / with `X-Amz-Target: AWSInsightsIndexService.<Op>`."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        status = 200
        try:
            if environ.get("REQUEST_METHOD") != "POST" or not target.startswith(TARGET_PREFIX):
                raise CostExplorerError(
                    "UnknownOperationException",
                    "Expected POST with X-Amz-Target: AWSInsightsIndexService.<Operation>",
                )
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = None
            with self._lock:
                self.request_count += 1
                self.requests.append((operation, params if isinstance(params, dict) else {}))
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                code, status = failure
                raise CostExplorerError(code, _FAILURE_MESSAGES.get(code, code), status)
            if not isinstance(params, dict):
                raise CostExplorerError("SerializationException", "The request body is not JSON")
            if self.delay_seconds and operation in ("GetCostAndUsage", "GetCostForecast"):
                time.sleep(self.delay_seconds)
            answer = self.handle(operation, params)
        except CostExplorerError as error:
            status = error.status
            answer = {"__type": error.code, "Message": error.message}
        payload = json.dumps(answer).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ],
        )
        return [payload]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
