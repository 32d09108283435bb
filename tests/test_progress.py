"""A placeholder is shown only for a slow answer, always before it, and replaced by it."""

from __future__ import annotations

import threading
import time
from typing import Any

from handlers.progress import answer_with_placeholder

PLACEHOLDER = {"text": "Adding up…"}


class Recorder:
    """A response_url that records what was posted, in order (thread-safe)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, **message: Any) -> None:
        with self.lock:
            self.posts.append(message)


def test_a_quick_answer_has_no_placeholder() -> None:
    respond = Recorder()
    answer_with_placeholder(respond, lambda: {"text": "done"}, placeholder=PLACEHOLDER, delay=5)  # type: ignore[arg-type]
    assert respond.posts == [{"text": "done", "response_type": "ephemeral"}]


def test_a_slow_answer_replaces_its_placeholder() -> None:
    respond = Recorder()

    def slow() -> dict[str, Any]:
        time.sleep(0.3)
        return {"text": "done"}

    answer_with_placeholder(respond, slow, placeholder=PLACEHOLDER, delay=0.05)  # type: ignore[arg-type]
    assert [p["text"] for p in respond.posts] == ["Adding up…", "done"]
    assert respond.posts[-1]["replace_original"] is True


def test_the_placeholder_never_comes_after_the_answer() -> None:
    for _ in range(50):  # the timer and the answer race at the same moment
        respond = Recorder()
        answer_with_placeholder(respond, lambda: {"text": "done"}, placeholder=PLACEHOLDER, delay=0)  # type: ignore[arg-type]
        assert respond.posts[-1]["text"] == "done"
