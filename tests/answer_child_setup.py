"""Setups for the answer process in tests (run there before the bot is built)."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import uuid
from pathlib import Path
from typing import Any

GATE_ENV = "FINOPS_TEST_GATE_DIR"
GATE_SECONDS = 60.0  # the longest a gated answer waits for its release


class Gate:
    """A directory the answer process and a test share: started answers, and a release.

    Each gated `/finops` answer leaves a `started-*` file and then waits until `release`
    exists, so a test knows what is running without guessing from the clock.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def started(self) -> int:
        """How many gated answers have begun."""
        return len(list(self.root.glob("started-*")))

    def release(self) -> None:
        """Let every gated answer, now and later, go on."""
        (self.root / "release").touch()

    def wait(self) -> None:
        """Mark one answer as started, then hold it until released (or GATE_SECONDS)."""
        (self.root / f"started-{uuid.uuid4().hex}").touch()
        deadline = time.monotonic() + GATE_SECONDS
        while not (self.root / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.02)


def slow_finops() -> None:
    """`/finops` waits at the gate in $FINOPS_TEST_GATE_DIR (its ack stays at once)."""
    import handlers

    gate = Gate(Path(os.environ[GATE_ENV]))
    for n, spec in enumerate(handlers.COMMANDS):
        if spec.name != "/finops":
            continue
        original = spec.handler

        @functools.wraps(original)
        def slow(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            gate.wait()
            return _original(*args, **kwargs)

        handlers.COMMANDS[n] = dataclasses.replace(spec, handler=slow)
