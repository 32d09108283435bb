"""Setups for the answer process in tests (run there before the bot is built)."""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any

SLOW_SECONDS = 1.5


def slow_finops() -> None:
    """`/finops` takes SLOW_SECONDS in the answer process (its ack stays at once)."""
    import handlers

    for n, spec in enumerate(handlers.COMMANDS):
        if spec.name != "/finops":
            continue
        original = spec.handler

        @functools.wraps(original)
        def slow(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            time.sleep(SLOW_SECONDS)
            return _original(*args, **kwargs)

        handlers.COMMANDS[n] = dataclasses.replace(spec, handler=slow)
