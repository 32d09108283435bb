"""`/tags` from the inventory: a warm `/tags` makes no AWS call, its Show more pages the
stored list; and every listing's Show more keeps its place across a refresh landing
between two clicks (handlers called directly, moto in process, real SQLite)."""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient

from bot.findings.model import Finding
from bot.findings.registry import load_kinds
from bot.inventory import store
from bot.inventory.refresh import refresher_for
from bot.inventory.store import TargetKey
from bot.payloads import ListingPageButton, ShowMoreButton
from bot.render.listing import MOVED
from bot.services import Services
from handlers import listings, tags
from handlers.cleanup_actions import handle_show_more as orphans_show_more
from handlers.orphans import VIEW as ORPHANS
from handlers.savings import VIEW as SAVINGS
from standins.cost_explorer import CostExplorerStandin
from tests.orphans_fixtures import Clock, aws, clock, svc  # noqa: F401
from tests.tags_fixtures import NOW, ce, known_estate, volume  # noqa: F401

MINUTE = timedelta(minutes=1)
AWS_SCANNED = ("ec2", "s3", "elasticloadbalancing", "elbv2", "sts")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Every botocore API call made in this process, as `service:Operation`."""
    counted: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def count(self: Any, operation: str, params: Any) -> Any:
        with lock:
            counted[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", count)
    return counted


def scanned(calls: collections.Counter[str]) -> int:
    """The calls that read the estate (not cost data: untagged spend stays Cost Explorer's)."""
    return sum(n for name, n in calls.items() if name.split(":")[0] in AWS_SCANNED)


class Answers:
    """A `respond` that keeps every answer; `ack` that records its arguments."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.landed = threading.Event()

    def respond(self, **message: Any) -> None:
        self.messages.append(message)
        if "scanning" not in json.dumps(message) and "refreshing" not in json.dumps(message):
            self.landed.set()

    def ack(self, **_: Any) -> None:
        return None

    def last(self) -> dict[str, Any]:
        assert self.landed.wait(15), self.messages
        return self.messages[-1]


def ask_tags(services: Services, text: str = "") -> dict[str, Any]:
    answers = Answers()
    tags.handle_tags(
        answers.ack,
        {"text": text},
        answers.respond,
        {"services": services},  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )
    return answers.last()


def button(message: dict[str, Any], action_id: str) -> str | None:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    return None


def show_more(services: Services, value: str) -> dict[str, Any]:
    answers = Answers()
    listings.handle_show_more(
        answers.ack,
        answers.respond,
        {"services": services},  # type: ignore[arg-type]
        ListingPageButton.decode(value),
    )
    return answers.last()


def test_a_second_tags_answers_from_the_inventory_without_any_aws_call(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
    calls: collections.Counter[str],
) -> None:
    clock.moment = NOW
    known_estate(aws)
    first = json.dumps(ask_tags(svc))
    assert "*33.3 %* of 6 resource(s) carry every required tag" in first
    assert scanned(calls) > 0  # the first one scanned (nothing was stored)
    calls.clear()
    second = json.dumps(ask_tags(svc))
    third = json.dumps(ask_tags(svc, "team=payments"))
    assert scanned(calls) == 0, calls
    assert "*33.3 %* of 6 resource(s)" in second and "as of 09:00 UTC" in second
    assert "$95.00" in second  # the month's untagged spend, from cost data as before
    assert "*50.0 %* of 2 resource(s)" in third
    assert "listing_refresh" in second and "listing_csv" in second


def test_the_inventory_job_keeps_tags_warm_on_the_inventory_period(
    svc: Services, aws: boto3.Session, clock: Clock, ce: CostExplorerStandin
) -> None:
    from bot.inventory.listing import max_age
    from jobs.inventory import inventory_job

    clock.moment = NOW
    known_estate(aws)
    assert max_age(svc.config, "tags") == max_age(svc.config, "volume")
    assert "0 failed" in inventory_job(svc)
    stored = store.read(svc.db, [TargetKey("current", "us-east-1", "tags")])
    found = next(iter(stored.values()))
    assert found.scanned_at is not None and len(found.findings) == 5  # eu-west-1 holds the IP


def test_tags_show_more_pages_the_stored_list_across_a_refresh(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
    calls: collections.Counter[str],
) -> None:
    clock.moment = NOW
    known_estate(aws)
    volumes = [volume(aws, {}) for _ in range(60)]  # 62 missing tags with the estate's 4
    first = ask_tags(svc)
    seen = [v for v in volumes if v in json.dumps(first)]
    assert 20 <= len(seen) < 25  # 25 a page, the estate's untagged ones among them
    value = button(first, "listing_show_more")
    assert value is not None
    # A refresh lands between the clicks: one already shown is gone, a new one appears.
    ec2 = aws.client("ec2", region_name="us-east-1")
    ec2.delete_volume(VolumeId=seen[0])
    newcomer = volume(aws, {})
    for future in refresher_for(svc).refresh([TargetKey("current", "us-east-1", "tags")]):
        future.result()
    calls.clear()
    while value is not None:
        page = show_more(svc, value)
        seen += [v for v in [*volumes, newcomer] if v in json.dumps(page)]
        value = button(page, "listing_show_more")
    assert scanned(calls) == 0  # Show more reads the stored list
    assert len(seen) == len(set(seen))  # nothing repeated
    assert set(volumes) <= set(seen)  # nothing in both lists lost


def _finding(n: int, cost: str) -> Finding:
    return Finding(
        resource_id=f"vol-{n:04d}",
        kind="volume",
        resource_type="ebs-volume",
        region="us-east-1",
        account="123456789012",
        name="",
        size="10 GiB",
        age_days=40,
        tags={},
        team=None,
        owner=None,
        monthly_cost=Decimal(cost),
        approximate=False,
        action="snapshot-and-delete",
        reason="unattached",
    )


def _store(services: Services, findings: list[Finding]) -> None:
    key = TargetKey("current", "us-east-1", "volume")
    assert store.claim(services.db, key, owner="test", now=NOW, ttl=MINUTE)
    assert store.save(services.db, key, owner="test", findings=findings, extras={}, now=NOW)


def _ids(message: dict[str, Any]) -> list[str]:
    body = json.dumps(message["blocks"])
    return [f"vol-{n:04d}" for n in range(200) if f"vol-{n:04d}" in body]


@pytest.fixture
def stored(svc: Services, clock: Clock) -> Iterator[list[Finding]]:
    """80 stored volumes (us-east-1) and every other target stored empty, all fresh."""
    clock.moment = NOW
    findings = [_finding(n, f"{100 + n}.00") for n in range(80)]
    _store(svc, findings)
    for kind in load_kinds():
        for region in ("us-east-1", "eu-west-1"):
            key = TargetKey("current", region, kind)
            if key != TargetKey("current", "us-east-1", "volume"):
                assert store.claim(svc.db, key, owner="test", now=NOW, ttl=MINUTE)
                assert store.save(svc.db, key, owner="test", findings=[], extras={}, now=NOW)
    yield findings


@pytest.mark.parametrize("view", [SAVINGS, ORPHANS], ids=["savings", "orphans"])
def test_show_more_neither_repeats_nor_skips_when_a_refresh_lands_between_clicks(
    svc: Services, stored: list[Finding], view: listings.ListingView
) -> None:
    scope = view.parse(svc, "")
    listing = listings.read_listing(svc, kinds=view.kinds(scope), scope=scope)
    first = listings.listing_message(svc, view, listing, scope, "", 0)
    seen = _ids(first)
    assert seen and len(seen) < len(stored)
    # The refresh: two findings of the first page are cleaned up, a bigger one appears.
    newest = _finding(150, "999.00")
    _store(svc, [f for f in stored if f.resource_id not in seen[:2]] + [newest])
    action = "listing_show_more" if view is SAVINGS else "orphans_show_more"
    value = button(first, action)
    while value is not None:
        answers = Answers()
        if view is SAVINGS:
            listings.handle_show_more(
                answers.ack, answers.respond, {"services": svc}, ListingPageButton.decode(value)
            )
        else:
            orphans_show_more(
                answers.ack, {}, answers.respond, {"services": svc}, ShowMoreButton.decode(value)
            )
        page = answers.last()
        seen += _ids(page)
        value = button(page, action)
    assert len(seen) == len(set(seen)), "a finding was shown twice"
    assert {f.resource_id for f in stored} <= set(seen), "a finding was skipped"


@pytest.mark.parametrize("view", [SAVINGS, ORPHANS], ids=["savings", "orphans"])
def test_a_later_page_says_when_the_list_was_refreshed_since_the_first(
    svc: Services, stored: list[Finding], view: listings.ListingView
) -> None:
    scope = view.parse(svc, "")
    listing = listings.read_listing(svc, kinds=view.kinds(scope), scope=scope)
    first = listings.listing_message(svc, view, listing, scope, "", 0)
    action = "listing_show_more" if view is SAVINGS else "orphans_show_more"

    def next_page(value: str) -> dict[str, Any]:
        answers = Answers()
        if view is SAVINGS:
            listings.handle_show_more(
                answers.ack, answers.respond, {"services": svc}, ListingPageButton.decode(value)
            )
        else:
            orphans_show_more(
                answers.ack, {}, answers.respond, {"services": svc}, ShowMoreButton.decode(value)
            )
        return answers.last()

    value = button(first, action)
    assert value is not None
    assert MOVED not in json.dumps(next_page(value))  # nothing refreshed: nothing to say
    key = TargetKey("current", "us-east-1", "volume")  # a refresh lands a minute later
    assert store.claim(svc.db, key, owner="test", now=NOW + MINUTE, ttl=MINUTE)
    later = NOW + MINUTE
    assert store.save(svc.db, key, owner="test", findings=stored, extras={}, now=later)
    second = next_page(value)
    assert MOVED in json.dumps(second)
    value = button(second, action)  # the page after keeps the first page's "as of"
    assert value is not None and MOVED in json.dumps(next_page(value))
