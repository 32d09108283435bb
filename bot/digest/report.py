"""What the weekly digest says, as plain data.

Spend comes from one cached Cost Explorer slice (team x service per day, shared with
`/cost` and the anomaly job): at most one request per digest, whatever the number of
teams. Month-end figures are `/budget`'s (Cost Explorer's cached forecast, else the run rate).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select

from bot.budgets.status import BudgetStatus, statuses_from
from bot.cost.periods import month_start
from bot.cost.service import daily_costs
from bot.digest.estate import EstateFigures, estate_figures
from bot.services import Services
from storage.models_alerts import Anomaly
from storage.models_remediation import OPEN_STATES, CleanupRequest, RemediationEvent

TOP_MOVERS = 5
#: Restore states of a cleanup that was undone (or is being undone): no saving.
UNDONE_STATES = ("restoring", "restored")


@dataclass(frozen=True)
class TeamWeek:
    """One team's spend this week and last (team "" = untagged)."""

    team: str
    this_week: Decimal
    last_week: Decimal

    @property
    def change(self) -> Decimal:
        """This week minus last week."""
        return self.this_week - self.last_week

    @property
    def change_pct(self) -> Decimal | None:
        """The change in % of last week (None when last week was zero)."""
        if not self.last_week:
            return None
        return (self.change * 100 / self.last_week).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Mover:
    """A team x service whose weekly spend moved most."""

    team: str
    service: str
    this_week: Decimal
    last_week: Decimal


@dataclass
class Digest:
    """Everything in one week's digest."""

    week: str  # ISO week, `2026-W48`
    start: date  # first day of "this week" (7 days to yesterday)
    end: date  # today (exclusive)
    currency: str
    teams: list[TeamWeek]
    budgets: list[BudgetStatus]
    movers: list[Mover]
    anomalies: list[Anomaly]
    savings: Decimal  # monthly savings of cleanups executed this week
    executed: int
    open_requests: int
    open_savings: Decimal
    daily: list[tuple[date, Decimal]] = field(default_factory=list)  # both weeks, all teams
    estate: EstateFigures = field(default_factory=EstateFigures)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


def iso_week(day: date) -> str:
    """`2026-W48`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build_digest(services: Services) -> Digest:
    """The digest for the seven days before today."""
    now = services.now()
    today = now.date()
    start, last_start = today - timedelta(days=7), today - timedelta(days=14)
    first = month_start(today)
    data = daily_costs(services, group=("team", "service"), start=min(last_start, first), end=today)
    this: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    last: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    mtd: dict[str, Decimal] = defaultdict(Decimal)
    daily: dict[date, Decimal] = {last_start + timedelta(days=n): Decimal(0) for n in range(14)}
    for day, team, service, amount in data.rows:
        if last_start <= day:
            daily[day] += amount
        if start <= day:
            this[(team, service)] += amount
        elif last_start <= day:
            last[(team, service)] += amount
        if first <= day:
            mtd[team] += amount
    teams = _teams(services, this, last)
    movers = sorted(
        (
            Mover(t, s, this.get((t, s), Decimal(0)), last.get((t, s), Decimal(0)))
            for t, s in set(this) | set(last)
        ),
        key=lambda m: (-abs(m.this_week - m.last_week), m.team, m.service),
    )
    movers = [m for m in movers if m.this_week != m.last_week][:TOP_MOVERS]
    digest = Digest(
        week=iso_week(today),
        start=start,
        end=today,
        currency=data.currency,
        teams=teams,
        budgets=_budgets(services, mtd, today, data.currency),
        movers=movers,
        anomalies=[],
        savings=Decimal(0),
        executed=0,
        open_requests=0,
        open_savings=Decimal(0),
        problem=data.problem,
        daily=sorted(daily.items()),
        estate=estate_figures(services),
    )
    digest.notes += digest.estate.notes
    _from_database(services, digest, since=datetime.combine(start, now.timetz()))
    return digest


def _teams(
    services: Services, this: dict[tuple[str, str], Decimal], last: dict[tuple[str, str], Decimal]
) -> list[TeamWeek]:
    names = set(services.config.teams) | {t for t, _ in this} | {t for t, _ in last}

    def total(source: dict[tuple[str, str], Decimal], team: str) -> Decimal:
        return sum((v for (t, _), v in source.items() if t == team), Decimal(0))

    rows = [TeamWeek(t, total(this, t), total(last, t)) for t in names]
    return sorted(rows, key=lambda r: (r.team == "", -r.this_week, r.team))


def _budgets(
    services: Services, mtd: dict[str, Decimal], today: date, currency: str
) -> list[BudgetStatus]:
    """The same statuses (and forecast source) as `/budget`, from the digest's own slice."""
    return statuses_from(services, mtd, currency, today=today, forecast_unbudgeted=False)


def _from_database(services: Services, digest: Digest, *, since: datetime) -> None:
    """The week's anomalies, executed cleanups (audit log) and open requests."""
    with services.db.session() as session:
        digest.anomalies = list(
            session.scalars(
                select(Anomaly)
                .where(Anomaly.last_day >= digest.start)
                .where(Anomaly.phase != "withdrawn")  # the revised data did not support it
                .order_by(Anomaly.impact.desc())
            )
        )
        session.expunge_all()
        # Undone cleanups (a volume restored, an instance started again) saved nothing.
        executed = session.execute(
            select(func.count(), func.coalesce(func.sum(RemediationEvent.monthly_saving), 0))
            .outerjoin(CleanupRequest, CleanupRequest.id == RemediationEvent.request_id)
            .where(
                RemediationEvent.status == "executed",
                RemediationEvent.at >= since,
                or_(
                    CleanupRequest.restore_state.is_(None),
                    CleanupRequest.restore_state.not_in(UNDONE_STATES),
                ),
            )
        ).one()
        digest.executed, digest.savings = int(executed[0]), Decimal(str(executed[1]))
        pending = session.execute(
            select(func.count(), func.coalesce(func.sum(CleanupRequest.monthly_saving), 0)).where(
                CleanupRequest.state.in_(OPEN_STATES)
            )
        ).one()
        digest.open_requests, digest.open_savings = int(pending[0]), Decimal(str(pending[1]))
