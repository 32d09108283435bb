"""Which cost source answers: Cost Explorer (default), a FOCUS/CUR export read by DuckDB,
or the same export table queried by Athena. One per process, built on first use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from bot.services import Services

from .explorer import DayCost, SliceSpec

SOURCE_NAMES = {
    "cost_explorer": "Cost Explorer",
    "focus": "billing export (DuckDB)",
    "athena": "billing export (Athena)",
}


class CostSource(Protocol):
    """What `/cost` and every cost feature read: daily cost grouped two ways, a forecast."""

    name: str

    @property
    def fingerprint(self) -> str: ...

    def metric_label(self) -> str: ...

    def daily(self, spec: SliceSpec, start: date, end: date) -> list[DayCost]: ...

    def forecast(
        self, filters: Iterable[tuple[str, str]], start: date, end: date
    ) -> tuple[Decimal, str]: ...


_GUARD = threading.Lock()


def source_for(services: Services) -> CostSource:
    """The configured source (export sources are kept: they hold a DuckDB database)."""
    cost = services.config.cost
    if cost.source == "cost_explorer":
        from .runtime import explorer_for

        return explorer_for(services)
    with _GUARD:
        source: CostSource | None = services.__dict__.get("_cost_source")
        if source is None:
            source = _export_source(services)
            services.__dict__["_cost_source"] = source
        return source


def _export_source(services: Services) -> CostSource:
    from .export_source import ExportSource

    cost = services.config.cost
    engine: Any
    if cost.source == "athena":
        from .athena import AthenaEngine

        assert cost.athena is not None
        engine = AthenaEngine(services.aws.client("athena", region=cost.athena.region), cost.athena)
    else:
        engine = duck_engine(services)
    source = ExportSource(
        engine,
        name=cost.source,
        team_tag=services.config.tags.team,
        metric=cost.metric,
        exclude=cost.exclude_charge_categories,
    )
    if cost.source == "focus":  # DuckDB: re-reading is cheap, Athena bills each scan
        from .export_cache import ExportCache

        source.memo = ExportCache(engine.version)
    return source


def duck_engine(services: Services) -> Any:
    """DuckDB over `cost.focus.path` (local files or s3://, through the bot's AWS access)."""
    from .duck import DuckExport
    from .export_files import local_files, s3_files

    assert services.config.cost.focus is not None
    path = services.config.cost.focus.path
    if path.startswith("s3://"):
        s3 = services.aws.client("s3")

        def setup() -> tuple[Any, str | None, str]:
            session = boto3_session(services)
            return session, s3.meta.endpoint_url, s3.meta.region_name

        return DuckExport(_reuse(lambda: s3_files(path, s3), S3_LISTING_SECONDS), s3_setup=setup)
    return DuckExport(lambda: local_files(path))


#: An S3 listing is reused this long: one answer asks for it several times (each a
#: ListObjectsV2 walk), and AWS rewrites an export a few times a day at most.
S3_LISTING_SECONDS = 30.0


def _reuse(listing: Callable[[], Any], seconds: float) -> Callable[[], Any]:
    """`listing`, called again only when its last answer is older than `seconds`."""
    last: list[Any] = []  # [monotonic time, files]
    guard = threading.Lock()

    def files() -> Any:
        with guard:
            if last and time.monotonic() - last[0] < seconds:
                return last[1]
        found = listing()  # errors are not kept: the next call lists again
        with guard:
            last[:] = [time.monotonic(), found]
        return found

    return files


def boto3_session(services: Services) -> Any:
    """The boto3 session of the bot's own account (credentials for DuckDB's httpfs)."""
    return services.aws._session_for("current")


def check_source(services: Services) -> str:
    """Check the configured source at start (ConfigError with one line when it is broken)."""
    from bot.config import ConfigError

    from .export_files import ExportError, SourceFailure

    source = source_for(services)
    check = getattr(source, "check", None)
    if check is None:
        return SOURCE_NAMES[services.config.cost.source]
    try:
        check()
    except (ExportError, SourceFailure) as exc:
        raise ConfigError(f"cost source {services.config.cost.source}: {exc}") from None
    return f"{SOURCE_NAMES[services.config.cost.source]}, {source.metric_label()}"


def source_warnings(services: Services) -> list[str]:
    """One line each for what is odd but not fatal in the source (mixed currencies)."""
    from .export_files import ExportError, SourceFailure

    warnings = getattr(source_for(services), "warnings", None)
    try:
        found = warnings() if callable(warnings) else []
    except (ExportError, SourceFailure):
        return []  # check_source says what is wrong
    return [f"cost source {services.config.cost.source}: {line}" for line in found]
