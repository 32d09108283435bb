"""Typed button payloads: what renderers encode decodes back with the model registered for
the button's action id; anything else is a PayloadError, never another exception."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_config
from bot.orphans.model import Finding
from bot.orphans.scanner import ScanFilter
from bot.payloads import (
    AnomalyButton,
    CostShareButton,
    Payload,
    PayloadError,
    RequestButton,
    ResourceButton,
    RightsizeButton,
    ShowMoreButton,
    TagsAskButton,
)
from bot.render import compute, orphans, rightsize, storage_advice
from bot.render.cost import share_value
from handlers import ACTIONS

MODELS: list[type[Payload]] = [
    AnomalyButton,
    CostShareButton,
    RequestButton,
    ResourceButton,
    RightsizeButton,
    ShowMoreButton,
    TagsAskButton,
]


def finding(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "resource_id": "vol-0abc",
        "kind": "volume",
        "resource_type": "ebs-volume",
        "region": "us-east-1",
        "account": "111111111111",
        "name": "data",
        "size": "100 GiB gp2",
        "age_days": 40,
        "tags": {},
        "team": "payments",
        "owner": "U0DEV",
        "monthly_cost": Decimal("8.00"),
        "approximate": False,
        "action": "delete-volume",
        "details": {"instance_type": "m5.large"},
    }
    values.update(overrides)
    return Finding(**values)


def test_every_registered_button_declares_its_payload_model() -> None:
    assert all(model is not None for _, _, model in ACTIONS)


def test_renderers_values_decode_with_the_registered_model() -> None:
    models = {str(action_id): model for action_id, _, model in ACTIONS}
    f = finding()
    encoded = {
        orphans.OrphanAction.REQUEST: orphans.request_value(f),
        orphans.OrphanAction.SHOW_MORE: orphans.show_more_value(ScanFilter(team="payments"), 20),
        storage_advice.StorageAction.REQUEST: storage_advice.request_value(f),
        compute.ComputeAction.REQUEST: compute.request_value(f),
        rightsize.RightsizeAction.CHANGE: rightsize.request_value(f),
    }
    for action_id, value in encoded.items():
        model = models[str(action_id)]
        assert model is not None
        decoded = model.decode(value)
        assert decoded.encode() == value
    assert ResourceButton.decode(orphans.request_value(f)).id == "vol-0abc"
    assert RightsizeButton.decode(rightsize.request_value(f)).t == "m5.large"
    more = ShowMoreButton.decode(orphans.show_more_value(ScanFilter(kind="volume"), 40))
    assert (more.kind, more.offset, more.team) == ("volume", 40, None)


def test_values_of_earlier_releases_still_decode() -> None:
    """Buttons already posted in Slack keep working after an upgrade."""
    assert RequestButton.decode("3").id == 3
    assert (
        ResourceButton.decode('{"k":"volume","r":"us-east-1","a":"1","id":"vol-1"}').k == "volume"
    )
    old_tags = (
        '{"id":"i-1","n":null,"t":"ec2:instance","r":"us-east-1","a":"1","m":["Team"],"o":"U0DEV"}'
    )
    assert TagsAskButton.decode(old_tags).m == ["Team"]
    query, chart = share_value('{"q": {"team": "payments"}, "f": ""}')
    assert (query.team, chart) == ("payments", None)


@pytest.mark.parametrize(
    "value",
    [
        "1" * 25,
        "0",
        "-1",
        " 1",
        "1.0",
        "1e3",
        "",
        "١٢",  # digits of another script
        str(2**63),
    ],
)
def test_id_buttons_refuse_anything_but_a_database_sized_positive_id(value: str) -> None:
    for model in (RequestButton, AnomalyButton):
        with pytest.raises(PayloadError):
            model.decode(value)


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (ResourceButton, '{"k":"volume","r":"us-east-1","a":"1"}'),  # no id
        (ResourceButton, '{"k":"volume","r":"us-east-1","a":1,"id":"v"}'),  # int account
        (ResourceButton, '{"k":"volume","r":"../etc","a":"1","id":"v"}'),  # not a region
        (ResourceButton, '{"k":"volume","r":"us-east-1","a":"1","id":"v","x":1}'),  # extra key
        (ResourceButton, '[{"k":"volume"}]'),
        (ShowMoreButton, '{"offset":"20"}'),
        (ShowMoreButton, '{"offset":' + "1" * 25 + "}"),
        (ShowMoreButton, '{"offset":-1}'),
        (ShowMoreButton, '{"offset":true}'),
        (TagsAskButton, '{"id":"i","t":"x","r":"us-east-1","a":"1","m":"Team","o":"U0DEV"}'),
        (TagsAskButton, '{"id":"i","t":"x","r":"us-east-1","a":"1","m":[],"o":"<!channel>"}'),
        (CostShareButton, '{"q":{"team":{"x":1}},"f":""}'),
        (CostShareButton, '{"f":""}'),
        (CostShareButton, "x" * 3000),
    ],
)
def test_wrong_shapes_and_types_are_refused(model: type[Payload], value: str) -> None:
    with pytest.raises(PayloadError):
        model.decode(value)


def test_decoded_values_are_checked_against_the_configuration(tmp_path: Path) -> None:
    from tests.conftest import TEST_CONFIG

    path = tmp_path / "finops.yml"
    path.write_text(TEST_CONFIG)
    config = load_config(str(path))
    assert ResourceButton.decode(orphans.request_value(finding())).problem(config) is None
    moved = finding(region="ap-south-1")
    assert "no longer configured" in str(
        ResourceButton.decode(orphans.request_value(moved)).problem(config)
    )
    assert "unknown kind" in str(ShowMoreButton(kind="nope", offset=0).problem(config))
    assert "team" in str(ShowMoreButton(team="gone", offset=0).problem(config))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["k", "r", "a", "id", "t", "m", "o", "n", "q", "f", "offset", "kind", "team"]
)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60) | JSON.map(json.dumps))
def test_any_text_decodes_or_raises_payload_error_only(text: str) -> None:
    for model in MODELS:
        with contextlib.suppress(PayloadError):
            model.decode(text)


@settings(max_examples=100, deadline=None)
@given(data=st.dictionaries(KEYS, JSON, max_size=8))
def test_objects_with_the_right_keys_but_any_values_never_crash(data: dict[str, Any]) -> None:
    text = json.dumps(data)
    for model in MODELS:
        try:
            value = model.decode(text)
        except PayloadError:
            continue
        assert model.decode(value.encode()) == value  # what decodes, re-encodes the same
