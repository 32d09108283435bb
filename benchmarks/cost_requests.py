"""Cost Explorer requests for a scripted working day of 50 `/cost` questions from 5 teams.

Runs the real domain code (`answer_cost`) against the Cost Explorer stand-in twice:
with the database cache, and with the cache emptied before every question (what an
implementation without a cache would send). Prints requests and their cost ($0.01 each).

    .venv/bin/python benchmarks/cost_requests.py
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, date, datetime, timedelta

from cost_common import TEAMS, setup_environment

TODAY = date(2025, 3, 18)
QUESTIONS = 50
TEMPLATES = (
    "team={t}",
    "team={t}",
    "team={t} period=last-month",
    "team={t} period=30d by=region",
    "team={t} period=7d",
    "team={t} period=30d by=account",
    "team={t} service=ec2 period=30d",
    "team={t} by=usage-type period=7d",
    "team={t} period=2025-02",
    "by=team period=mtd",
    "by=team period=last-month",
    "period=90d by=team",
)


def script(seed: int = 42) -> list[tuple[datetime, str]]:
    """50 questions between 08:00 and 18:00, from 5 teams, with natural repeats."""
    rng = random.Random(seed)
    start = datetime(TODAY.year, TODAY.month, TODAY.day, 8, 0, tzinfo=UTC)
    spacing = timedelta(hours=10) / QUESTIONS
    return [
        (start + spacing * n, rng.choice(TEMPLATES).format(t=rng.choice(TEAMS)))
        for n in range(QUESTIONS)
    ]


def run(*, cached: bool) -> tuple[int, dict[str, int], float]:
    """Ask the day's questions; returns (requests, by operation, seconds)."""
    from sqlalchemy import delete

    from bot.config import Settings
    from bot.cost.query import parse_query
    from bot.cost.service import answer_cost
    from bot.services import build_services
    from storage.models_cost import CostDay, CostForecast, CostRow

    ce, _workdir = setup_environment(TODAY)
    services = build_services(Settings.from_env())
    clock = [datetime.now(UTC)]
    services.now = lambda: clock[0]
    started = time.perf_counter()
    for at, text in script():
        clock[0] = at
        if not cached:
            with services.db.session() as session:
                for model in (CostRow, CostDay, CostForecast):
                    session.execute(delete(model))
        query = parse_query(text, services.config, TODAY, command="/cost").query
        answer_cost(services, query)
    elapsed = time.perf_counter() - started
    operations: dict[str, int] = {}
    for operation in ce.operations():
        operations[operation] = operations.get(operation, 0) + 1
    ce.stop()
    services.db.dispose()
    return ce.request_count, operations, elapsed


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    questions = script()
    distinct = len({text for _, text in questions})
    print(
        f"A scripted day: {QUESTIONS} /cost questions from {len(TEAMS)} teams, "
        f"{distinct} distinct, 08:00-18:00 (TTL 6 h, settle 3 days)"
    )
    with_cache, ops_cached, t_cached = run(cached=True)
    without, ops_plain, t_plain = run(cached=False)
    print(
        f"  with the cache:    {with_cache:4d} requests  ${with_cache / 100:.2f}  {ops_cached}"
        f"  ({t_cached:.1f} s)"
    )
    print(
        f"  without a cache:   {without:4d} requests  ${without / 100:.2f}  {ops_plain}"
        f"  ({t_plain:.1f} s)"
    )
    print(f"  saved: {without - with_cache} requests ({(1 - with_cache / without) * 100:.0f} %)")


if __name__ == "__main__":
    main()
