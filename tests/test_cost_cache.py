"""The Cost Explorer cache, request counting, retries and the circuit breaker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cost.breaker import CLOSED, OPEN, CircuitBreaker
from bot.cost.metrics import CE_REQUESTS
from bot.cost.query import CostQuery
from bot.cost.runtime import runtime_for
from bot.cost.service import CostUnavailable, answer_cost
from bot.render.cost import cost_message
from tests import cost_fixtures
from tests.cost_fixtures import TODAY, CostStack, make_stack

cost_stack = cost_fixtures.cost_stack


@pytest.fixture
def any_db_stack(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CostStack]:
    """The small estate on SQLite and on PostgreSQL."""
    yield from make_stack(tmp_path, database_url, monkeypatch)


def periods_asked(stack: CostStack) -> list[tuple[str, str]]:
    return [
        (p["TimePeriod"]["Start"], p["TimePeriod"]["End"])
        for op, p in stack.ce.requests
        if op == "GetCostAndUsage" and "NextPageToken" not in p
    ]


def test_repeated_question_within_the_ttl_makes_no_request(any_db_stack: CostStack) -> None:
    stack = any_db_stack
    first = answer_cost(stack.services, CostQuery(team="payments"))
    assert stack.ce.operations().count("GetCostForecast") == 1
    made = stack.ce.request_count
    assert made >= 2
    before = CE_REQUESTS.total
    stack.clock.advance(hours=5)
    again = answer_cost(stack.services, CostQuery(team="payments"))
    assert stack.ce.request_count == made and CE_REQUESTS.total == before  # 0 requests
    assert again.total == first.total and again.forecast == first.forecast
    assert again.lines == first.lines


def test_one_cached_query_serves_other_questions(cost_stack: CostStack) -> None:
    answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    cost_stack.ce.reset_counters()
    answer_cost(cost_stack.services, CostQuery(team="search", period="7d"))
    answer_cost(cost_stack.services, CostQuery(by="team", period="30d"))
    answer_cost(cost_stack.services, CostQuery(team="payments", period="2025-02-20..2025-03-01"))
    assert cost_stack.ce.request_count == 0


def test_after_the_ttl_only_unsettled_days_are_fetched_again(cost_stack: CostStack) -> None:
    answer_cost(cost_stack.services, CostQuery(period="30d"))
    cost_stack.ce.reset_counters()
    cost_stack.clock.advance(hours=7)
    answer_cost(cost_stack.services, CostQuery(period="30d"))
    # Fetched on the 15th: days up to the 11th had settled (settle_days 3) and are final.
    assert periods_asked(cost_stack) == [("2025-03-12", "2025-03-15")]
    cost_stack.ce.reset_counters()
    cost_stack.clock.advance(days=3)  # the 18th: 3 new days, and the 12th-14th not final yet
    answer_cost(cost_stack.services, CostQuery(period="30d"))
    assert periods_asked(cost_stack) == [("2025-03-12", "2025-03-18")]
    cost_stack.ce.reset_counters()
    cost_stack.clock.advance(days=30)  # long after: old days are never fetched again
    answer_cost(cost_stack.services, CostQuery(period="2025-02-14..2025-03-14"))
    assert periods_asked(cost_stack) == []


def test_every_attempt_is_counted_and_throttling_is_retried(
    cost_stack: CostStack, caplog: pytest.LogCaptureFixture
) -> None:
    before = CE_REQUESTS.total
    cost_stack.ce.fail_next(1, "LimitExceededException", 400)
    caplog.set_level("INFO", logger="bot.cost.metrics")
    report = answer_cost(cost_stack.services, CostQuery(period="7d"))
    assert report.problem is None and report.total > 0
    assert CE_REQUESTS.total - before == cost_stack.ce.request_count == 2  # 1 throttled + 1 ok
    logged = [r.getMessage() for r in caplog.records if "Cost Explorer request" in r.getMessage()]
    assert len(logged) == 2
    assert f"{CE_REQUESTS.total} so far in this process" in logged[-1]
    assert f"(${CE_REQUESTS.cost()} at $0.01 each)" in logged[-1]


def test_failing_cost_explorer_answers_from_the_cache_then_breaker_opens(
    cost_stack: CostStack,
) -> None:
    good = answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    fetched_at = cost_stack.clock()
    runtime = runtime_for(cost_stack.services)
    ticks = [1000.0]
    runtime.breaker.clock = lambda: ticks[0]
    cost_stack.clock.advance(hours=7)  # the recent days are now due for a refetch
    cost_stack.ce.reset_counters()
    cost_stack.ce.fail_next(100, "InternalFailure", 500)

    first = answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    assert first.total == good.total and first.lines == good.lines
    assert first.problem is not None and "InternalFailure" in first.problem
    assert first.data_as_of == fetched_at
    text = str(cost_message(first, command="/cost"))
    assert f"Showing cached data as of {fetched_at:%Y-%m-%d %H:%M} UTC" in text
    assert runtime.breaker.state == CLOSED  # 1 failure; the threshold is 2
    answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    assert runtime.breaker.state == OPEN
    attempts = cost_stack.ce.request_count
    assert attempts == 4  # 2 calls x max_attempts 2

    third = answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    assert cost_stack.ce.request_count == attempts  # open: Cost Explorer is left alone
    assert third.problem is not None and "stopped asking it for a while" in third.problem
    assert third.total == good.total

    ticks[0] += 31  # recovery_seconds is 30: one trial call goes through, and it works
    cost_stack.ce.reset_counters()
    healed = answer_cost(cost_stack.services, CostQuery(team="payments", period="30d"))
    assert healed.problem is None and cost_stack.ce.request_count >= 1
    assert runtime.breaker.state == CLOSED


def test_failing_cost_explorer_without_cache_says_so_plainly(cost_stack: CostStack) -> None:
    cost_stack.ce.fail_next(100, "ServiceUnavailable", 503)
    with pytest.raises(CostUnavailable) as info:
        answer_cost(cost_stack.services, CostQuery(team="search"))
    message = str(info.value)
    assert "Cost Explorer is not answering" in message and "ServiceUnavailable" in message
    assert "There is no cached data for 2025-02-01 to 2025-03-14" in message


def test_a_refused_request_is_explained_and_does_not_trip_the_breaker(
    cost_stack: CostStack,
) -> None:
    for _ in range(3):
        cost_stack.ce.fail_next(1, "AccessDeniedException", 400)
        with pytest.raises(CostUnavailable, match="Cost Explorer refused the request"):
            answer_cost(cost_stack.services, CostQuery(period="7d"))
    assert runtime_for(cost_stack.services).breaker.state == CLOSED


def test_breaker_half_open_allows_one_trial_and_reopens_on_failure() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, recovery_seconds=10, clock=lambda: now[0])
    breaker.record_failure("x")
    assert breaker.allow()
    breaker.record_failure("y")
    assert not breaker.allow() and breaker.state == OPEN
    assert breaker.retry_in() == 10
    now[0] = 10.5
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_failure("z")  # the trial failed: open again for a full period
    assert breaker.state == OPEN and breaker.last_error == "z"
    now[0] = 21
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow() and breaker.allow()


def test_stale_cache_day_arithmetic(cost_stack: CostStack) -> None:
    fresh = cost_stack.freshness
    fetched = cost_stack.clock()
    assert fresh.is_fresh(TODAY - timedelta(days=4), fetched, fetched + timedelta(days=365))
    assert fresh.is_fresh(TODAY - timedelta(days=3), fetched, fetched + timedelta(hours=5))
    assert not fresh.is_fresh(TODAY - timedelta(days=3), fetched, fetched + timedelta(hours=6))
