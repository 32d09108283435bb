"""The interpreter's thread switch interval, tuned once per bot process."""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)

#: The interpreter's thread switch interval in the bot's process (CPython's default is 5 ms).
#: Every ack passes through several threads (waitress's loop, an HTTP thread, an answer
#: worker) and each hand-over waits for the running thread to give up the interpreter;
#: while answers render and scans parse on other threads, 5 ms per hand-over adds tens of
#: milliseconds to an ack. 1 ms keeps hand-overs short at a negligible cost in switches.
DEFAULT_SWITCH_INTERVAL_MS = 1.0


def tune_switch_interval(env: dict[str, str] | None = None) -> float:
    """Set the interpreter's switch interval from FINOPS_SWITCH_INTERVAL_MS (default 1 ms,
    from 0.1 to 5 ms); returns the seconds set."""
    text = (os.environ if env is None else env).get("FINOPS_SWITCH_INTERVAL_MS", "").strip()
    milliseconds = DEFAULT_SWITCH_INTERVAL_MS
    if text:
        try:
            milliseconds = float(text)
        except ValueError:
            milliseconds = -1.0
        if not 0.1 <= milliseconds <= 5.0:
            log.warning(
                "FINOPS_SWITCH_INTERVAL_MS=%r is not between 0.1 and 5; using %s",
                text,
                DEFAULT_SWITCH_INTERVAL_MS,
            )
            milliseconds = DEFAULT_SWITCH_INTERVAL_MS
    sys.setswitchinterval(milliseconds / 1000)
    return milliseconds / 1000
