"""The demo's anomaly and the demo estate tell one story."""

from __future__ import annotations

import inspect

from standins import demo_estate
from standins.demo_data import _CHARGES, DEMO_ANOMALY


def test_the_demo_anomaly_points_at_instances_the_demo_estate_has() -> None:
    instance_type = DEMO_ANOMALY.usage_type.split(":", 1)[1]
    estate_types = {profile[1] for profile in demo_estate._PROFILES}
    assert instance_type in estate_types  # `/rightsize team=search` lists them
    assert DEMO_ANOMALY.team in demo_estate.TEAMS
    regions = inspect.signature(demo_estate.seed_demo_estate).parameters["regions"].default
    assert DEMO_ANOMALY.region in regions
    # The bill's own line for that team is the same instance type.
    usage = DEMO_ANOMALY.usage_type.split("-", 1)[1]
    assert usage in {c.usage_type for c in _CHARGES[DEMO_ANOMALY.team]}
