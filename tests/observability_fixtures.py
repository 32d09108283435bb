"""Observability tests' parts: scraping /metrics, a rate-limited Slack."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.test_cost_slack import CostSlack, ask, cost_slack  # noqa: F401

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base_url: str) -> Samples:
    """Every sample of `/metrics`, keyed by name and sorted labels."""
    answer = requests.get(f"{base_url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def bot_url(slack: CostSlack) -> str:
    return slack.console.bot_url.rsplit("/slack/events", 1)[0]
