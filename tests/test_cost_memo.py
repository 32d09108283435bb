"""Warm `/cost` answers reuse the decoded cache read while the database holds the same
days, and see at once what this process or another replica stored since."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cost import cache, memo
from bot.cost.explorer import DayCost
from bot.cost.loading import slice_key
from bot.cost.memo import SliceMemo
from bot.cost.query import CostQuery
from bot.cost.runtime import runtime_for
from bot.cost.service import answer_cost, plan
from tests.cost_fixtures import TODAY, CostStack, make_stack


@pytest.fixture
def stack(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CostStack]:
    """The small estate on SQLite and on PostgreSQL."""
    yield from make_stack(tmp_path, database_url, monkeypatch)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slice keys decoded from the database (each a full read of the rows)."""
    seen: list[str] = []
    original = memo.read

    def counted(session: Any, key: str, start: date, end: date) -> cache.CachedSlice:
        seen.append(key)
        return original(session, key, start, end)

    monkeypatch.setattr(memo, "read", counted)
    return seen


def _fresh(stack: CostStack, query: CostQuery) -> Any:
    """The answer with nothing kept in memory (what a just-started replica says)."""
    runtime_for(stack.services).slices = SliceMemo()
    return answer_cost(stack.services, query)


def test_a_repeated_question_reuses_the_read_and_answers_exactly_the_same(
    stack: CostStack, reads: list[str]
) -> None:
    first = answer_cost(stack.services, CostQuery(team="payments", period="30d"))
    decoded = len(reads)
    assert decoded >= 1
    again = answer_cost(stack.services, CostQuery(team="payments", period="30d"))
    other_team = answer_cost(stack.services, CostQuery(team="search", period="30d"))
    assert len(reads) == decoded  # both served from the kept read of the same slice
    assert (again.total, again.lines, again.daily) == (first.total, first.lines, first.daily)
    fresh = _fresh(stack, CostQuery(team="search", period="30d"))
    assert (other_team.total, other_team.lines, other_team.daily) == (
        fresh.total,
        fresh.lines,
        fresh.daily,
    )


def test_days_stored_by_another_replica_are_seen_at_the_next_answer(
    stack: CostStack, reads: list[str]
) -> None:
    query = CostQuery(team="payments", period="30d")
    first = answer_cost(stack.services, query)
    spec, _ = plan("service", {"team": "payments"})
    key = slice_key(stack.services, spec)
    day = TODAY - timedelta(days=5)
    later = stack.clock() + timedelta(seconds=1)  # another replica's fetch, one second on
    replaced = DayCost(
        day, estimated=False, currency="USD", amounts={("payments", "AWS Lambda"): Decimal("1000")}
    )
    with stack.services.db.session() as session:
        cache.store(session, key, day, day + timedelta(days=1), [replaced], later)
    decoded = len(reads)
    seen = answer_cost(stack.services, query)
    assert len(reads) == decoded + 1  # the stamps changed: the rows were read again
    assert seen.total != first.total
    fresh = _fresh(stack, query)
    assert (seen.total, seen.lines, seen.daily) == (fresh.total, fresh.lines, fresh.daily)
    assert dict(seen.daily)[day] == Decimal("1000")


def test_a_refetch_here_replaces_the_kept_read(stack: CostStack, reads: list[str]) -> None:
    query = CostQuery(period="30d")
    answer_cost(stack.services, query)
    stack.clock.advance(hours=7)  # past the TTL: the unsettled days are fetched again
    decoded = len(reads)
    again = answer_cost(stack.services, query)
    assert len(reads) > decoded
    assert again.total == _fresh(stack, query).total


def _slice(day: date) -> cache.CachedSlice:
    return cache.CachedSlice(days={}, rows=[(day, "a", "b", Decimal("1.10"))])


def test_the_memo_keeps_a_read_only_for_the_same_stamps_and_forgets_a_stored_slice() -> None:
    kept = SliceMemo(limit=2)
    start, end = date(2025, 3, 1), date(2025, 3, 8)
    stamps = ((start, datetime(2025, 3, 9, tzinfo=UTC)),)
    read = _slice(start)
    kept.put("k", start, end, stamps, read)
    assert kept.get("k", start, end, stamps) is read
    assert kept.get("k", start, end, ((start, datetime(2025, 3, 10, tzinfo=UTC)),)) is None
    assert kept.get("k", start, end + timedelta(days=1), stamps) is None  # other days
    kept.forget("k")
    assert kept.get("k", start, end, stamps) is None
    for name in ("a", "b", "c"):  # the oldest goes beyond the limit
        kept.put(name, start, end, stamps, read)
    assert kept.get("a", start, end, stamps) is None
    assert kept.get("c", start, end, stamps) is read
