"""A cost source over a billing export (FOCUS or CUR 2.0), queried by DuckDB or Athena.

It answers what Cost Explorer answers for `/cost` (daily cost grouped two ways, and a
month-end forecast), so the cache, the breaker and every cost feature work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from .explorer import DayCost, SliceSpec
from .export_files import ExportError
from .export_sql import METRIC_COLUMNS, METRIC_PARTS, Schema, daily_query

#: Days of history the forecast averages.
FORECAST_HISTORY_DAYS = 28


class Engine(Protocol):
    """Runs the shared SQL over the export relation."""

    relation: str

    def refresh(self) -> Schema: ...

    def run(self, sql: str) -> list[tuple[Any, ...]]: ...


class ExportSource:
    """FOCUS or CUR 2.0 rows through an Engine, with the configured metric and exclusions."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str,
        team_tag: str,
        metric: str = "billed",
        exclude: Sequence[str] = (),
    ) -> None:
        self.engine = engine
        self.name = name
        self._team_tag = team_tag
        self.metric = metric
        self.exclude = tuple(exclude)
        #: The in-memory slice cache (export_cache) when the engine is DuckDB.
        self.memo: Any = None

    @property
    def fingerprint(self) -> str:
        """What makes this source's cached rows differ from another's."""
        return f"{self.name}|{self.metric}|{','.join(self.exclude)}"

    def metric_label(self) -> str:
        """The metric as `/cost` names it."""
        schema = self.engine.refresh()
        *first, last = METRIC_PARTS[schema.kind][self.metric]
        columns = f"{' / '.join(first)}, else {last}" if first else last
        words = "effective cost, amortized" if self.metric == "effective" else f"{self.metric} cost"
        return f"{words} ({columns})"

    def check(self) -> Schema:
        """Read the export's columns now (ExportError says what is wrong)."""
        schema = self.engine.refresh()
        columns = getattr(self.engine, "columns", None)
        wanted = METRIC_COLUMNS[schema.kind][self.metric]
        if columns is not None and "(" not in wanted and wanted not in columns:
            raise ExportError(
                f"cost.metric is {self.metric}, but the export has no {wanted} column"
            )
        return schema

    def warnings(self) -> list[str]:
        """What the person who configured the export should know at start (not fatal)."""
        known = getattr(self.engine, "currencies", None)
        currencies = known() if callable(known) else []
        if len(currencies) > 1:
            return [
                f"the export mixes currencies ({', '.join(currencies)}): answers over days in "
                "more than one currency are refused, amounts are never added up across them"
            ]
        return []

    def coverage(self) -> tuple[date, date] | None:
        """The first and last day the export holds (None: not known without a paid scan)."""
        known = getattr(self.engine, "coverage", None)
        return known() if callable(known) else None

    def daily(self, spec: SliceSpec, start: date, end: date) -> list[DayCost]:
        """Daily cost for days [start, end) grouped by the spec's two dimensions."""
        schema = self.check()
        sql = daily_query(
            self.engine.relation,
            schema,
            groups=spec.groups,
            filters=spec.filters,
            start=start.isoformat(),
            end=end.isoformat(),
            metric=self.metric,
            exclude=self.exclude,
            team_tag=self._team_tag,
        )
        return to_days(self.engine.run(sql), start, end)

    def forecast(
        self, filters: Iterable[tuple[str, str]], start: date, end: date
    ) -> tuple[Decimal, str]:
        """Cost for days [start, end): the average day of the last 28 days times days left."""
        _low, expected, _high, currency = self.forecast_range(filters, start, end)
        return expected, currency

    def forecast_range(
        self, filters: Iterable[tuple[str, str]], start: date, end: date
    ) -> tuple[Decimal, Decimal, Decimal, str]:
        """(low, expected, high, currency) for days [start, end), from daily history.

        Expected: the mean daily cost of the last 28 days times the days left; the range
        uses the lowest and highest 7-day average of those 4 weeks.
        """
        history_start = start - timedelta(days=FORECAST_HISTORY_DAYS)
        spec = SliceSpec(("provider", "provider"), tuple(filters))
        days = self.daily(spec, history_start, start)
        totals = {d.day: sum(d.amounts.values(), Decimal(0)) for d in days}
        series = [
            totals.get(history_start + timedelta(days=n), Decimal(0))
            for n in range(FORECAST_HISTORY_DAYS)
        ]
        if not any(series):
            raise ExportError("no forecast: the export has no cost in the last 28 days")
        left = (end - start).days
        weeks = [sum(series[i : i + 7], Decimal(0)) / 7 for i in range(0, len(series), 7)]
        average = sum(series, Decimal(0)) / len(series)
        cent = Decimal("0.01")
        currency = next((d.currency for d in days if d.currency), "USD")
        return (
            (min(weeks) * left).quantize(cent),
            (average * left).quantize(cent),
            (max(weeks) * left).quantize(cent),
            currency,
        )


def mixed_currencies(currencies: Iterable[str], start: date, end: date) -> str:
    """The one line that refuses to add amounts in different currencies over [start, end)."""
    return (
        f"the export mixes currencies ({', '.join(sorted(currencies))}) between {start} and "
        f"{end - timedelta(days=1)}; amounts in different currencies are never added up"
    )


def to_days(rows: list[tuple[Any, ...]], start: date, end: date) -> list[DayCost]:
    """Query rows (day, currency, key1, key2, amount) as DayCost; mixed currencies refused."""
    currencies = sorted({str(row[1]) for row in rows if row[1]})
    if len(currencies) > 1:
        raise ExportError(mixed_currencies(currencies, start, end))
    days: dict[Any, DayCost] = {}
    zero = Decimal(0)
    for day_value, currency, key1, key2, amount in rows:
        entry = days.get(day_value)
        if entry is None:  # DuckDB gives dates, Athena text
            day = day_value if isinstance(day_value, date) else date.fromisoformat(str(day_value))
            entry = days[day_value] = DayCost(day, estimated=False, currency=currency or None)
        pair = (
            key1 if type(key1) is str else str(key1 or ""),
            key2 if type(key2) is str else str(key2 or ""),
        )
        value = amount if type(amount) is Decimal else Decimal(str(amount or 0))
        amounts = entry.amounts
        amounts[pair] = amounts.get(pair, zero) + value
    return sorted(days.values(), key=lambda entry: entry.day)
