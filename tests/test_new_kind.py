"""Adding a finding kind is its module plus a registration: the listing pipeline, its
render, the CSV and `kind=` pick it up with no change to handlers or render."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from bot.args import ArgumentError
from bot.findings.model import KINDS, Finding, FindingKind, NotEligible, TargetContext
from bot.inventory.listing import refresh_and_wait
from bot.render.listing import findings_csv
from bot.services import Services
from handlers.listings import VIEWS, listing_message
from tests.orphans_fixtures import Clock, aws, clock, svc  # noqa: F401


class IdleThings(FindingKind):
    """A kind written the way the README says: class attributes, scan and recheck."""

    name = "idle-thing"
    resource_type = "thing"
    title = "Idle things"
    action = "release-address"
    permissions = ("ec2:DescribeAddresses",)

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return [
            ctx.finding(
                self,
                resource_id=f"thing-{ctx.region}",
                tags={"Team": "payments"},
                size="1 thing",
                age_days=4,
                monthly_cost=Decimal("12.34"),
                approximate=False,
                reason="idle for a week",
            )
        ]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        raise NotEligible(f"{resource_id} is busy again")


def test_a_registered_kind_is_listed_exported_and_selectable(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.orphans  # noqa: F401 - registers the /orphans view

    monkeypatch.setitem(KINDS, IdleThings.name, IdleThings())
    view = VIEWS["/orphans"]
    scope = view.parse(svc, "kind=idle-thing")
    assert view.kinds(scope) == ["idle-thing"]
    listing = refresh_and_wait(svc, kinds=view.kinds(scope), scope=scope)
    assert sorted(f.resource_id for f in listing.findings) == ["thing-eu-west-1", "thing-us-east-1"]
    shown = json.dumps(listing_message(svc, view, listing, scope, "kind=idle-thing"))
    assert "thing-us-east-1" in shown and "Idle things" in shown and "12.34" in shown
    rows = list(csv.DictReader(io.StringIO(findings_csv(listing.findings, as_of=listing.as_of))))
    assert {r["kind"] for r in rows} == {"idle-thing"} and len(rows) == 2


def test_an_unknown_kind_team_or_region_gets_a_clear_answer(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.orphans  # noqa: F401 - registers the /orphans view

    monkeypatch.setitem(KINDS, IdleThings.name, IdleThings())
    view = VIEWS["/orphans"]
    answers = {}
    for text in ("kind=idle-thin", "team=paymnts", "region=mars-1"):
        with pytest.raises(ArgumentError) as raised:
            view.parse(svc, text)
        answers[text] = str(raised.value)
    assert answers["kind=idle-thin"].startswith(
        'Unknown kind "idle-thin" — did you mean idle-thing?'
    )
    assert "volume" in answers["kind=idle-thin"]  # the list of kinds follows
    assert answers["team=paymnts"].startswith('Unknown team "paymnts" — did you mean payments?')
    assert answers["region=mars-1"].startswith('Region "mars-1" is not scanned')
