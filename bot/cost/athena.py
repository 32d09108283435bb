"""The export table queried by Athena: the same SQL as DuckDB (bot/cost/export_sql.py).

StartQueryExecution in the configured workgroup and output location, polling with
backoff, paginated GetQueryResults, StopQueryExecution on timeout; each query's bytes
scanned and price ($5 per TB) are logged and counted like Cost Explorer requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws import describe_aws_error
from bot.config_cost import AthenaSourceConfig

from .export_files import ExportError, SourceFailure
from .export_sql import CUR2, FOCUS, Schema

log = logging.getLogger(__name__)

PRICE_PER_TB = Decimal(5)
_TB = Decimal(1024**4)


class AthenaScans:
    """Bytes Athena scanned for the bot in this process, and what that cost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.queries = 0
        self.bytes = 0

    def add(self, scanned: int) -> Decimal:
        from bot.observability.metrics import count_billed

        count_billed(
            "athena",
            "StartQueryExecution",
            unit="bytes_scanned",
            units=scanned,
            dollars=PRICE_PER_TB * scanned / _TB,
        )
        with self._lock:
            self.queries += 1
            self.bytes += scanned
            return self.cost()

    def cost(self) -> Decimal:
        # Athena bills at least 10 MB per query; this counts what it reported.
        return (PRICE_PER_TB * self.bytes / _TB).quantize(Decimal("0.000001"))


ATHENA_SCANS = AthenaScans()


class AthenaEngine:
    """Runs the shared SQL on `database.table` (the Engine protocol of export_source)."""

    def __init__(
        self,
        client: Any,
        config: AthenaSourceConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._config = config
        self._sleep = sleep
        self._clock = clock
        self.relation = f'"{config.database}"."{config.table}"'
        kind = CUR2 if config.schema_kind == "cur2" else FOCUS
        self.schema = Schema(kind=kind, tags_form="map", has_provider=kind == FOCUS)

    def refresh(self) -> Schema:
        return self.schema

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        """Start, poll with backoff until done (cancel past the timeout), read every page."""
        params: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self._config.database},
            "WorkGroup": self._config.workgroup,
        }
        if self._config.output_location:
            params["ResultConfiguration"] = {"OutputLocation": self._config.output_location}
        try:
            query_id = self._client.start_query_execution(**params)["QueryExecutionId"]
            self._wait(query_id)
            return self._results(query_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("AccessDeniedException", "InvalidRequestException"):
                raise ExportError(f"Athena refused the query: {describe_aws_error(exc)}") from None
            raise SourceFailure(describe_aws_error(exc)) from None
        except BotoCoreError as exc:
            raise SourceFailure(describe_aws_error(exc)) from None

    def _wait(self, query_id: str) -> None:
        deadline = self._clock() + self._config.timeout_seconds
        delay = 0.2
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=query_id)
            status = execution["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                scanned = int(
                    execution["QueryExecution"].get("Statistics", {}).get("DataScannedInBytes", 0)
                )
                total = ATHENA_SCANS.add(scanned)
                log.info(
                    "Athena query %s scanned %d bytes ($%s at $%s/TB); $%s so far",
                    query_id,
                    scanned,
                    (PRICE_PER_TB * scanned / _TB).quantize(Decimal("0.000001")),
                    PRICE_PER_TB,
                    total,
                )
                return
            if state in ("FAILED", "CANCELLED"):
                reason = str(status.get("StateChangeReason") or state)
                if "TABLE_NOT_FOUND" in reason or "does not exist" in reason:
                    raise ExportError(
                        f"Athena has no table {self.relation} ({reason}); create it with the "
                        "DDL in the README"
                    )
                if "AccessDenied" in reason or "Access Denied" in reason:
                    raise ExportError(f"Athena was denied access: {reason}")
                raise SourceFailure(f"Athena query {state.lower()}: {reason}")
            if self._clock() + delay > deadline:
                self._client.stop_query_execution(QueryExecutionId=query_id)
                raise SourceFailure(
                    f"Athena query took longer than {self._config.timeout_seconds:g} s "
                    "and was cancelled"
                )
            self._sleep(delay)
            delay = min(delay * 2, 5.0)

    def _results(self, query_id: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        paginator = self._client.get_paginator("get_query_results")
        header = True
        for page in paginator.paginate(QueryExecutionId=query_id):
            for row in page["ResultSet"]["Rows"]:
                values = tuple(cell.get("VarCharValue") for cell in row["Data"])
                if header:
                    header = False
                    if values and values[0] == "day":
                        continue
                rows.append(values)
        return rows
