"""DuckDB over the export files: one in-memory database reading every file of the export
(Parquet and CSV alike) as one relation, rebuilt when the set of files changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb

from .export_files import (
    ExportError,
    ExportFiles,
    SourceFailure,
    httpfs_extension,
    s3_secret_sql,
)
from .export_sql import CUR2, FOCUS, OPTIONAL, REQUIRED, Schema, day_expression, literal

log = logging.getLogger(__name__)

RELATION = "finops_export"
_NO_FILES = ExportFiles((), ())
_NULLS = "nullstr = ['NULL', '']"


def connect(*, threads: int = 2, memory_limit: str = "400MB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the Trino-like macros the shared SQL uses."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = {literal(memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    # Trino's meaning of two functions the shared SQL uses (export_sql's docstring).
    con.execute(
        "CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, "
        """regexp_replace(p, '^\\$\\["(.*)"\\]$', '$."\\1"'))"""
    )
    con.execute("CREATE MACRO element_at(m, k) AS m[k]")
    return con


def first_line(exc: BaseException) -> str:
    """A DuckDB error's first line, without its class prefix."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class DuckExport:
    """The export as a DuckDB view; `files()` says where its files are now."""

    def __init__(
        self,
        files: Callable[[], ExportFiles],
        *,
        s3_setup: Callable[[], tuple[Any, str | None, str]] | None = None,
        threads: int = 2,
        memory_limit: str = "400MB",
    ) -> None:
        self._files = files
        self._s3_setup = s3_setup
        self._con = connect(threads=threads, memory_limit=memory_limit)
        self._lock = threading.Lock()
        self._current: ExportFiles | None = None
        self._s3_ready = False
        self._providers: int | None = None
        self._span: tuple[date, date] | None = None
        self._currencies: list[str] | None = None
        self.schema = Schema()
        self.columns: dict[str, str] = {}
        self.relation = RELATION

    def refresh(self) -> Schema:
        """List the files again; rebuild the view (and check its columns) when they changed."""
        found = self._files()
        with self._lock:
            if found != self._current:
                self._build(found)
                self._current = found
                self._providers = None
                self._span = None
                self._currencies = None
            return self.schema

    def version(self) -> str:
        """Changes whenever a file of the export is added, removed or rewritten."""
        self.refresh()
        return (self._current or _NO_FILES).stamp

    def several_providers(self) -> bool:
        """Whether the files hold more than one ProviderName (cached per file set)."""
        self.refresh()
        with self._lock:
            if self._providers is None:
                if not self.schema.has_provider:
                    self._providers = 1
                else:
                    self._providers = self._count_providers()
            return self._providers > 1

    def coverage(self) -> tuple[date, date] | None:
        """The first and last charge day of the files (cached per file set; None: no rows)."""
        self.refresh()
        with self._lock:
            if self._span is None:
                self._span = self._read_span()
            return self._span

    def _read_span(self) -> tuple[date, date] | None:
        files = self._current or _NO_FILES
        column = "ChargePeriodStart" if self.schema.kind == FOCUS else "line_item_usage_start_date"
        if files.parquet and not files.csv:  # the footers' statistics: no scan
            sql = (
                "SELECT COUNT(DISTINCT file_name), MIN(stats_min_value), MAX(stats_max_value), "
                f"COUNT(*) - COUNT(stats_min_value) FROM parquet_metadata({_list(files.parquet)}) "
                f"WHERE path_in_schema = {literal(column)}"
            )
            found = self._con.cursor().execute(sql).fetchall()[0]
            try:
                if found[0] == len(files.parquet) and found[1] and not found[3]:
                    return date.fromisoformat(found[1][:10]), date.fromisoformat(found[2][:10])
            except ValueError:
                pass  # statistics in another form: count instead
        day = day_expression(self.schema)
        sql = f"SELECT MIN({day}), MAX({day}) FROM {self.relation}"
        try:
            first, last = self._con.cursor().execute(sql).fetchall()[0]
        except duckdb.Error as exc:
            raise ExportError(f"reading the export failed: {first_line(exc)}") from None
        return None if first is None else (first, last)

    def currencies(self) -> list[str]:
        """The billing currencies in the files (cached per file set)."""
        self.refresh()
        with self._lock:
            if self._currencies is None:
                self._currencies = self._read_currencies()
            return self._currencies

    def _read_currencies(self) -> list[str]:
        files = self._current or _NO_FILES
        column = "BillingCurrency" if self.schema.kind == FOCUS else "line_item_currency_code"
        if files.parquet and not files.csv:  # one currency everywhere: the footers say so
            sql = (
                "SELECT file_name, stats_min_value, stats_max_value "
                f"FROM parquet_metadata({_list(files.parquet)}) "
                f"WHERE path_in_schema = {literal(column)}"
            )
            rows = self._con.cursor().execute(sql).fetchall()
            values = {value for row in rows for value in row[1:]}
            if {row[0] for row in rows} == set(files.parquet) and len(values) == 1:
                return [str(v) for v in values if v]
        sql = (
            f"SELECT DISTINCT {column} FROM {self.relation} "
            f"WHERE COALESCE({column}, '') <> '' ORDER BY 1 LIMIT 20"
        )
        try:
            return [str(row[0]) for row in self._con.cursor().execute(sql).fetchall()]
        except duckdb.Error as exc:
            raise ExportError(f"reading the export failed: {first_line(exc)}") from None

    def _count_providers(self) -> int:
        """From the Parquet footers' column statistics when they settle it (no scan of
        10M rows for the first answer), else by counting."""
        files = self._current or _NO_FILES
        if files.parquet and not files.csv:
            sql = (
                "SELECT file_name, stats_min_value, stats_max_value "
                f"FROM parquet_metadata({_list(files.parquet)}) "
                "WHERE path_in_schema = 'ProviderName'"
            )
            rows = self._con.cursor().execute(sql).fetchall()
            values = {value for row in rows for value in row[1:]}
            if {row[0] for row in rows} == set(files.parquet) and None not in values:
                return len(values)  # 1 exactly when every row group holds one same value
        sql = f"SELECT COUNT(DISTINCT ProviderName) FROM {self.relation}"
        return int(self._con.cursor().execute(sql).fetchall()[0][0])

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a query over the export (a cursor per call: safe from several threads)."""
        self.refresh()
        cursor = self._con.cursor()
        try:
            return cursor.execute(sql).fetchall()
        except (duckdb.HTTPException, duckdb.IOException) as exc:
            if any(name.startswith("s3://") for name in (self._current or _NO_FILES).all):
                # S3 not answering may pass: the breaker counts it, the cache answers.
                raise SourceFailure(
                    f"reading the export from S3 failed: {first_line(exc)}"
                ) from None
            raise ExportError(f"reading the export failed: {first_line(exc)}") from None
        except duckdb.Error as exc:
            raise ExportError(f"reading the export failed: {first_line(exc)}") from None
        finally:
            cursor.close()

    def _build(self, files: ExportFiles) -> None:
        if any(name.startswith("s3://") for name in files.all):
            self._load_httpfs()
        parts = []
        try:
            parquet_types = self._types(_parquet(files.parquet)) if files.parquet else {}
            csv_types = self._types(_csv(files.csv)) if files.csv else {}
        except duckdb.Error as exc:
            raise ExportError(f"the export cannot be read: {first_line(exc)}") from None
        columns = {**csv_types, **parquet_types}
        schema = _detect(columns)
        tags = "Tags" if schema.kind == FOCUS else "resource_tags"
        tags_form = "map" if parquet_types.get(tags, "").startswith("MAP") else "json"
        if files.parquet:
            replace = ""
            if tags in parquet_types and tags_form == "json" and parquet_types[tags] != "VARCHAR":
                replace = f" REPLACE (CAST({tags} AS VARCHAR) AS {tags})"
            parts.append(f"SELECT *{replace} FROM {_parquet(files.parquet)}")
        if files.csv:
            replace = ""
            if tags in csv_types and tags_form == "map":
                replace = (
                    f" REPLACE (CAST(CAST({tags} AS JSON) AS MAP(VARCHAR, VARCHAR)) AS {tags})"
                )
            parts.append(f"SELECT *{replace} FROM {_csv(files.csv)}")
        body = " UNION ALL BY NAME ".join(parts)
        try:
            self._con.execute(f"CREATE OR REPLACE VIEW {RELATION} AS {body}")  # binds: checks
        except duckdb.Error as exc:
            raise ExportError(f"the export cannot be read: {first_line(exc)}") from None
        # Queries read the files directly: through the view, the same aggregation over 10M
        # Parquet rows took 1.8x the CPU time (DuckDB 1.x).
        single = (
            len(parts) == 1
            and files.parquet
            and parts[0] == f"SELECT * FROM {_parquet(files.parquet)}"
        )
        self.relation = _parquet(files.parquet) if single else f"({body}) AS {RELATION}"
        self.columns = columns
        self.schema = Schema(
            kind=schema.kind,
            tags_form=tags_form,
            has_provider="ProviderName" in columns,
            absent=frozenset(c for c in OPTIONAL[schema.kind] if c not in columns),
        )
        log.info(
            "cost export: %d Parquet and %d CSV files, %s columns",
            len(files.parquet),
            len(files.csv),
            "FOCUS" if schema.kind == FOCUS else "CUR 2.0",
        )

    def _types(self, relation: str) -> dict[str, str]:
        rows = self._con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return {str(row[0]): str(row[1]) for row in rows}

    def _load_httpfs(self) -> None:
        if self._s3_ready:
            return
        if self._s3_setup is None:
            raise ExportError("s3:// exports need AWS access, which is not set up")
        session, endpoint, region = self._s3_setup()
        try:
            self._con.execute(f"LOAD {literal(httpfs_extension())}")
            self._con.execute(s3_secret_sql(session, endpoint, region))
        except duckdb.Error as exc:
            raise ExportError(f"cannot read s3:// with DuckDB: {first_line(exc)}") from None
        self._s3_ready = True


def _list(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(literal(n) for n in names) + "]"


def _parquet(names: tuple[str, ...]) -> str:
    return f"read_parquet({_list(names)}, union_by_name = true)"


def _csv(names: tuple[str, ...]) -> str:
    # Every CSV column as text: amounts become DECIMAL from their exact digits.
    return f"read_csv({_list(names)}, union_by_name = true, all_varchar = true, {_NULLS})"


def _detect(columns: dict[str, str]) -> Schema:
    """FOCUS or CUR 2.0 from the columns; ExportError naming what is missing otherwise."""
    for kind in (FOCUS, CUR2):
        if all(c in columns for c in REQUIRED[kind]):
            return Schema(kind=kind)
    looks_cur = any(c.startswith("line_item_") for c in columns)
    kind = CUR2 if looks_cur else FOCUS
    missing = [c for c in REQUIRED[kind] if c not in columns]
    name = "a CUR 2.0" if looks_cur else "a FOCUS"
    raise ExportError(f"the export is not {name} export: missing columns {', '.join(missing)}")
