"""`/finops status` and `finops-bot status`: what the bot costs and how it is doing.

Plain data only; `bot.render.status` turns it into Block Kit and the CLI into JSON or text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import func, select

from bot.observability.db_collector import breaker_states
from bot.observability.health import schema_state
from bot.observability.usage import LEDGER, month_usage
from bot.services import Services
from storage.models import JobRun

#: The APIs the bot pays for, in the order they are shown.
BILLED_APIS = ("cost_explorer", "cloudwatch", "athena")


@dataclass(frozen=True)
class ApiSpend:
    """One API's billed use this month."""

    api: str
    requests: int
    units: int
    dollars: Decimal


@dataclass(frozen=True)
class JobStatus:
    """A job's last run and last success."""

    job: str
    last_run: datetime | None
    last_status: str | None
    last_detail: str
    last_success: datetime | None


@dataclass(frozen=True)
class StatusSection:
    """A part of the report contributed by another package (inventory age, outbox…)."""

    title: str
    lines: list[str]
    data: dict[str, Any] = field(default_factory=dict)


#: Contributors of extra sections: each returns a section, or None when it has nothing.
#: Adding one (the inventory's age, the outbox backlog…): append a function here.
SECTIONS: list[Callable[[Services], StatusSection | None]] = []


@dataclass
class StatusReport:
    """Everything `/finops status` shows to an admin."""

    version: str
    month: str
    spend: list[ApiSpend]
    requests_saved: int
    breakers: dict[str, str]
    jobs: list[JobStatus]
    database: str
    schema: str | None
    head: str | None
    sections: list[StatusSection] = field(default_factory=list)

    @property
    def total_dollars(self) -> Decimal:
        """This month's API spend over every billed API."""
        return sum((s.dollars for s in self.spend), Decimal(0))

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: money as decimal strings, times as ISO 8601."""
        data = asdict(self)
        data["total_dollars"] = self.total_dollars
        return _jsonable(data)


def bot_version() -> str:
    """The installed finops-bot version."""
    try:
        return version("finops-bot")
    except PackageNotFoundError:
        return "unknown"


def build_status(services: Services, *, job_names: list[str]) -> StatusReport:
    """Gather the status report (flushing this process's pending API counts first)."""
    from bot.observability import sections  # noqa: F401 - registers the shared sections
    from bot.settings import redact_url

    now = services.now()
    month = now.strftime("%Y-%m")
    LEDGER.flush(services.db, now)
    usage = month_usage(services.db, month)
    cent = Decimal("0.01")
    spend = [
        ApiSpend(api, row.requests, int(row.units), Decimal(row.dollars).quantize(cent))
        if (row := usage.get(api)) is not None
        else ApiSpend(api, 0, 0, Decimal(0).quantize(cent))
        for api in BILLED_APIS
    ]
    saved = usage["cost_explorer_saved"].requests if "cost_explorer_saved" in usage else 0
    current, head = schema_state(services)
    return StatusReport(
        version=bot_version(),
        month=month,
        spend=spend,
        requests_saved=saved,
        breakers=breaker_states(services),
        jobs=_jobs(services, job_names),
        database=f"{services.db.engine.dialect.name} {redact_url(services.db.url)}",
        schema=current,
        head=head,
        sections=[s for s in (section(services) for section in SECTIONS) if s is not None],
    )


def _jobs(services: Services, job_names: list[str]) -> list[JobStatus]:
    with services.db.session() as session:
        success = dict(
            session.execute(
                select(JobRun.job, func.max(JobRun.finished_at))
                .where(JobRun.status == "ok")
                .group_by(JobRun.job)
            ).all()
        )
        result = []
        for name in job_names:
            last = session.scalar(
                select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(1)
            )
            result.append(
                JobStatus(
                    job=name,
                    last_run=(last.finished_at or last.started_at) if last else None,
                    last_status=last.status if last else None,
                    last_detail=(last.detail if last else "")[:200],
                    last_success=success.get(name),
                )
            )
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
