"""A slow answer's placeholder that never outlives the answer.

The ack stays empty; only when the answer takes longer than `delay` does a placeholder
go out (through response_url), and the answer then replaces it. Both are posted from
one lock, in order, so the placeholder can never arrive after the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond

#: How long an answer may take before a placeholder is shown.
PLACEHOLDER_DELAY_SECONDS = 1.0


def answer_with_placeholder(
    respond: Respond,
    compute: Callable[[], dict[str, Any]],
    *,
    placeholder: dict[str, Any],
    delay: float = PLACEHOLDER_DELAY_SECONDS,
) -> None:
    """Run `compute` here; post `placeholder` only if it is slow, then the answer (which
    replaces the placeholder when one was shown)."""
    lock = threading.Lock()
    state = {"done": False, "shown": False}

    def show() -> None:
        with lock:
            if not state["done"]:
                respond(**placeholder, response_type="ephemeral")
                state["shown"] = True

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        message = compute()
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
    with lock:
        if state["shown"]:
            respond(**message, response_type="ephemeral", replace_original=True)
        else:
            respond(**message, response_type="ephemeral")
