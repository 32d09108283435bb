"""`/cost` from a 10-million-row FOCUS Parquet export, beside the bare DuckDB query.

Generates the export with DuckDB SQL itself (180 days, 50 teams, 40 accounts, 5 services,
3 regions) into a temporary directory, then times the bot's answers (the real
`answer_cost`, cache included: cold = first answer, warm = asked again) next to the same
aggregation run directly on DuckDB in the same process, rounds interleaved (the machine's
load changes under the run). Then asks a scripted month of questions from the export and
the same month from the Cost Explorer stand-in, and counts Cost Explorer requests.

    .venv/bin/python benchmarks/focus_scale.py [--rows 10000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from bot.config import Settings
from bot.cost.duck import connect
from bot.cost.export_sql import Schema, daily_query
from bot.cost.metrics import CE_REQUESTS
from bot.cost.query import CostQuery
from bot.cost.service import answer_cost
from bot.services import build_services

TODAY = date(2026, 11, 20)
DAYS, TEAMS, ACCOUNTS, SERVICES, REGIONS = 180, 50, 40, 5, 3


def generate(folder: Path, rows: int) -> float:
    """Write the export as Parquet (Tags as a MAP, like AWS's FOCUS export); seconds taken."""
    started = time.perf_counter()
    first = TODAY - timedelta(days=DAYS)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute(
        f"""
        COPY (
          SELECT
            TIMESTAMP '{first}' + INTERVAL 1 DAY * (i % {DAYS}) AS ChargePeriodStart,
            TIMESTAMP '{first}' + INTERVAL 1 DAY * (i % {DAYS} + 1) AS ChargePeriodEnd,
            CAST(((i * 7919) % 100000) / 10000.0 AS DECIMAL(18, 10)) AS BilledCost,
            CAST(((i * 7919) % 100000) / 11000.0 AS DECIMAL(18, 10)) AS EffectiveCost,
            CAST(((i * 7919) % 100000) / 9000.0 AS DECIMAL(18, 10)) AS ListCost,
            'USD' AS BillingCurrency,
            'AWS' AS ProviderName,
            'Usage' AS ChargeCategory,
            ['Amazon EC2', 'Amazon S3', 'Amazon RDS', 'AWS Lambda', 'Amazon DynamoDB']
              [1 + (i // {DAYS}) % {SERVICES}] AS ServiceName,
            LPAD(CAST(100000000000 + (i // 7) % {ACCOUNTS} AS VARCHAR), 12, '0') AS SubAccountId,
            ['us-east-1', 'eu-west-1', 'ap-southeast-2'][1 + (i // 11) % {REGIONS}] AS RegionId,
            MAP {{'team': 'team-' || CAST((i // 13) % {TEAMS} AS VARCHAR)}} AS Tags
          FROM range({rows}) AS t(i)
        ) TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true)
        """
    )
    return time.perf_counter() - started


def _services(folder: Path, work: Path):  # type: ignore[no-untyped-def]
    work.mkdir(parents=True, exist_ok=True)
    config = work / "finops.yml"
    config.write_text(
        textwrap.dedent(
            f"""\
            finops:
              regions: [us-east-1]
              default_channel: C0FINOPS
              tags: {{team: team}}
              cost: {{source: focus, focus: {{path: "{folder}"}}, top_lines: 8}}
            """
        )
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench",
        "DATABASE_URL": f"sqlite:///{work / 'bot.db'}",
        "FINOPS_CONFIG": str(config),
    }
    services = build_services(Settings.from_env(env))
    services.now = lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    return services


def bare(folder: Path, groups: tuple[str, str], start: date, end: date) -> tuple[float, float]:
    """The same aggregation straight on DuckDB (fresh connection, same SQL): (wall, CPU) s."""
    con = connect()
    relation = f"read_parquet('{folder}/*.parquet')"
    sql = daily_query(
        relation,
        Schema(tags_form="map"),
        groups=groups,
        filters=(),
        start=start.isoformat(),
        end=end.isoformat(),
        metric="billed",
        exclude=(),
        team_tag="team",
    )
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(sql).fetchall()
    return time.perf_counter() - started, time.process_time() - cpu


#: A scripted month: every day at noon, these questions (team filled in).
MONTH_QUESTIONS = ("mtd", "last-month", "7d", "30d", "mtd")


def scripted_month(services, team: str, last_day: date) -> int:  # type: ignore[no-untyped-def]
    """Ask the month's questions (30 days before `last_day`); how many were asked."""
    asked = 0
    for offset in range(30):
        day = last_day - timedelta(days=30 - offset)
        services.now = lambda d=day: datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
        for text in MONTH_QUESTIONS:
            answer_cost(services, CostQuery(team=team, period=text))
            asked += 1
    return asked


def explorer_month() -> tuple[int, int]:
    """The same scripted month against the Cost Explorer stand-in: (questions, requests)."""
    from cost_common import setup_environment

    today = date(2025, 3, 18)
    ce, _workdir = setup_environment(today)
    services = build_services(Settings.from_env())
    try:
        asked = scripted_month(services, "search", today)
    finally:
        ce.stop()
        services.db.dispose()
    return asked, ce.request_count


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="cold answers per case")
    options = parser.parse_args()
    rows = options.rows
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp) / "export", Path(tmp)
        folder.mkdir()
        made = generate(folder, rows)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        print(f"generated {rows:,} rows in {made:.1f} s ({size:.0f} MB of Parquet)")
        print(f"load average before: {os.getloadavg()[0]:.1f} (2 shared cores)")
        month = date(2026, 10, 1), date(2026, 11, 1)
        print("bare DuckDB = the SQL the bot sends (period + previous period), run directly;")
        print(
            f"each case {options.rounds} rounds of bare, then bot cold (a fresh bot: new DuckDB, "
            "empty caches), then warm; medians, ratio = median of the rounds' cold/bare;"
        )
        print("CPU = the process's CPU time over the call (all DuckDB threads), steadier than")
        print("wall time when other work shares the cores")
        cases = [
            ("month by team", CostQuery(period="2026-10", by="team"), ("team", "service")),
            ("month by service", CostQuery(period="2026-10", by="service"), ("team", "service")),
            ("month by account", CostQuery(period="2026-10", by="account"), ("team", "account")),
            ("daily chart 30d", CostQuery(period="30d", by="team"), ("team", "service")),
        ]
        # One untimed answer first: imports and the ORM's set-up are paid once per process.
        warmup = _services(folder, work / "bot-warmup")
        answer_cost(warmup, CostQuery(period="7d", by="region"))
        warmup.db.dispose()
        print(
            f"{'answer':<18} {'bare wall':>10} {'bot cold':>9} {'ratio':>6}   "
            f"{'bare CPU':>9} {'bot CPU':>8} {'ratio':>6}   {'bot warm':>8}"
        )
        totals: dict[str, str] = {}
        for n, (name, query, groups) in enumerate(cases):
            # The bot's own query: the period and the one before it (for the comparison).
            if query.period == "2026-10":
                start, end = date(2026, 9, 1), month[1]
            else:
                start, end = TODAY - timedelta(60), TODAY
            raws, colds, warms, ratios = [], [], [], []
            cpu_raws, cpu_colds, cpu_ratios = [], [], []
            for r in range(options.rounds):
                raw, cpu_raw = bare(folder, groups, start, end)
                services = _services(folder, work / f"bot-{n}-{r}")
                started, cpu = time.perf_counter(), time.process_time()
                report = answer_cost(services, query)
                cold, cpu_cold = time.perf_counter() - started, time.process_time() - cpu
                started = time.perf_counter()
                again = answer_cost(services, query)
                warms.append(time.perf_counter() - started)
                assert again.total == report.total  # exact, the same from the cache
                totals[name] = str(report.total)
                raws.append(raw)
                colds.append(cold)
                ratios.append(cold / raw)
                cpu_raws.append(cpu_raw)
                cpu_colds.append(cpu_cold)
                cpu_ratios.append(cpu_cold / cpu_raw)
                services.db.dispose()
            print(
                f"{name:<18} {_median(raws):>9.3f}s {_median(colds):>8.3f}s "
                f"{_median(ratios):>5.2f}x   {_median(cpu_raws):>8.3f}s "
                f"{_median(cpu_colds):>7.3f}s {_median(cpu_ratios):>5.2f}x   "
                f"{_median(warms):>7.3f}s"
            )
        print("totals:", ", ".join(f"{k} {v}" for k, v in totals.items()))
        services = _services(folder, work / "bot-month")
        before = CE_REQUESTS.total
        asked = scripted_month(services, "team-7", TODAY)
        from_export = CE_REQUESTS.total - before
        services.db.dispose()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ce_asked, ce_requests = explorer_month()
        print(
            f"scripted month ({len(MONTH_QUESTIONS)} questions a day for 30 days): "
            f"Cost Explorer {ce_requests} requests (${ce_requests / 100:.2f}) for {ce_asked} "
            f"questions; the export {from_export} requests ($0.00) for {asked} questions"
        )
        print(f"peak memory (RSS) of the export part: {peak:.0f} MB")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
