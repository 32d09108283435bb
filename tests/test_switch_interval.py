"""The bot's process hands the interpreter between threads every millisecond (not CPython's
5 ms), so an ack waits less behind answer work on other threads; FINOPS_SWITCH_INTERVAL_MS
overrides it within sane bounds."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from bot.interpreter import tune_switch_interval


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_default_is_one_millisecond() -> None:
    sys.setswitchinterval(0.005)
    assert tune_switch_interval({}) == pytest.approx(0.001)
    assert sys.getswitchinterval() == pytest.approx(0.001)


def test_the_environment_sets_it() -> None:
    assert tune_switch_interval({"FINOPS_SWITCH_INTERVAL_MS": "2.5"}) == pytest.approx(0.0025)
    assert sys.getswitchinterval() == pytest.approx(0.0025)


@pytest.mark.parametrize("text", ["0", "50", "fast", "-1"])
def test_a_bad_value_is_reported_and_the_default_used(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert tune_switch_interval({"FINOPS_SWITCH_INTERVAL_MS": text}) == pytest.approx(0.001)
    assert f"FINOPS_SWITCH_INTERVAL_MS={text!r} is not between 0.1 and 5" in caplog.text
