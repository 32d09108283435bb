"""`/cost` from a 10-million-row FOCUS Parquet export, beside the bare DuckDB query.

Generates the export with DuckDB SQL itself (180 days, 50 teams, 40 accounts, 5 services,
3 regions) into a temporary directory, then times the bot's answers (the real
`answer_cost`, cache included: cold = first answer, warm = asked again) next to the same
aggregation run directly on DuckDB in the same process. Also asks a scripted month of
questions and counts Cost Explorer requests (0 from an export). Prints a table.

    .venv/bin/python benchmarks/focus_scale.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import logging
import resource
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


def bare(folder: Path, groups: tuple[str, str], start: date, end: date) -> float:
    """The same aggregation straight on DuckDB (fresh connection, same SQL), seconds."""
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
    started = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    rows = parser.parse_args().rows
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp) / "export", Path(tmp)
        folder.mkdir()
        made = generate(folder, rows)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        print(f"generated {rows:,} rows in {made:.1f} s ({size:.0f} MB of Parquet)")
        services = _services(folder, work)
        month = date(2026, 10, 1), date(2026, 11, 1)
        print("bare DuckDB = the SQL the bot sends (period + previous period), run directly")
        cases = [
            ("month by team", CostQuery(period="2026-10", by="team"), ("team", "service")),
            ("month by service", CostQuery(period="2026-10", by="service"), ("team", "service")),
            ("month by account", CostQuery(period="2026-10", by="account"), ("team", "account")),
            ("daily chart 30d", CostQuery(period="30d", by="team"), ("team", "service")),
        ]
        print(f"{'answer':<18} {'bare DuckDB':>12} {'bot cold':>10} {'ratio':>6} {'bot warm':>9}")
        for name, query, groups in cases:
            # The bot's own query: the period and the one before it (for the comparison).
            if query.period == "2026-10":
                start, end = date(2026, 9, 1), month[1]
            else:
                start, end = TODAY - timedelta(60), TODAY
            raw = bare(folder, groups, start, end)
            started = time.perf_counter()
            answer_cost(services, query)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            answer_cost(services, query)
            warm = time.perf_counter() - started
            print(f"{name:<18} {raw:>11.3f}s {cold:>9.3f}s {cold / raw:>5.1f}x {warm:>8.3f}s")
        before = CE_REQUESTS.total
        asked = 0
        for offset in range(30):  # a scripted month: 5 questions a day
            day = TODAY - timedelta(days=30 - offset)
            services.now = lambda d=day: datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
            for text in ("mtd", "last-month", "7d", "30d", "mtd"):
                answer_cost(services, CostQuery(team="team-7", period=text))
                asked += 1
        print(
            f"scripted month: {asked} questions, "
            f"{CE_REQUESTS.total - before} Cost Explorer requests"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (RSS): {peak:.0f} MB")
        services.db.dispose()


if __name__ == "__main__":
    main()
