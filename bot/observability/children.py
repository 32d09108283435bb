"""Metrics of the bot's answer process, served by the acking process's `/metrics`.

The answer process (bot/answers) sends its registry's families every second; `/metrics`
adds them to this process's own, sample by sample (counters, histograms and gauges sum;
`_created` keeps the earliest). Its process and Python runtime metrics are left out: they
describe another process. With PROMETHEUS_MULTIPROC_DIR set, prometheus-client's
multiprocess mode does this instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

Source = Callable[[], list[Metric]]
_SOURCES: list[Source] = []
_OWN_RUNTIME = ("process_", "python_")


def snapshot() -> list[Metric]:
    """This process's metric families, without its process and runtime metrics."""
    return [family for family in REGISTRY.collect() if not family.name.startswith(_OWN_RUNTIME)]


def add_child_source(source: Source) -> None:
    """Serve what `source` returns beside this process's metrics."""
    _SOURCES.append(source)


def remove_child_source(source: Source) -> None:
    """Stop serving `source`."""
    if source in _SOURCES:
        _SOURCES.remove(source)


def has_child_sources() -> bool:
    """Some answer process reports metrics to this one."""
    return bool(_SOURCES)


class MergedCollector:
    """This process's registry plus every child's last snapshot, merged by sample."""

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
        for family in [*REGISTRY.collect(), *(f for s in list(_SOURCES) for f in s())]:
            if family.name not in families:
                families[family.name] = Metric(
                    family.name, family.documentation, family.type, family.unit
                )
                values[family.name] = {}
            elif families[family.name].type != family.type:
                continue
            merged = values[family.name]
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key not in merged:
                    merged[key] = sample.value
                elif sample.name.endswith("_created"):
                    merged[key] = min(merged[key], sample.value)
                else:
                    merged[key] += sample.value
        for name, family in families.items():
            for (sample_name, labels), value in values[name].items():
                family.add_sample(sample_name, dict(labels), value)
            yield family
