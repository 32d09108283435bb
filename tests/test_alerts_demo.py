"""`finops-bot run-job budgets|digest` against the running offline demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.demo import DemoStack


def run_job(demo: DemoStack, name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **demo.env}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run-job", name],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_posts_the_digest_once_and_runs_the_budget_ladder(demo: DemoStack) -> None:
    first = run_job(demo, "digest")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "digest: ok posted digest"
    again = run_job(demo, "digest")
    assert again.stdout.strip() == "digest: ok already posted this week"
    [digest] = demo.console.messages("C0MGMT")
    body = json.dumps(digest)
    for part in ("Spend this week", "*payments*", "Top movers", "Open waste", "Tagging"):
        assert part in body
    budgets = run_job(demo, "budgets")
    assert budgets.returncode == 0, budgets.stderr
    # Whatever day it is, only teams at or over 80 % of their budget hear about it.
    alerts = [
        m
        for m in demo.console.messages("C0PAY") + demo.console.messages("C0SRCH")
        if "budget" in m["text"]
    ]
    for message in alerts:
        assert "of its" in message["text"] or "on course" in message["text"]
