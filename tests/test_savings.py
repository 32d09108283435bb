"""`/savings`: every source's recommendations in one list against moto — sorted by saving,
a resource counted once, protected ones left out, a failing source reported — and the
command through the console stand-in, with a button that opens the usual request."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from moto import mock_aws

from bot.advice import savings
from bot.advice.savings import SOURCES, collect_savings, load_sources
from bot.advice.storage import scan_storage
from bot.orphans.scanner import ScanFilter
from bot.render.common import MAX_BLOCKS
from bot.render.listing import Page
from bot.render.savings import savings_message
from bot.services import Services
from tests.conftest import SlackStack
from tests.listing_helpers import settled
from tests.orphans_fixtures import Clock, Estate, aws, clear_aws_env, clock, estate, svc  # noqa: F401
from tests.storage_advice_fixtures import bucket, sizes
from tests.test_storage_advice_slack import text_of, volume


def test_every_source_is_collected_and_sorted_by_saving(
    svc: Services,
    estate: Estate,
) -> None:
    orphan = estate.volume(300, "gp2", "payments")  # unattached: $30.00 waste (and $6 as gp3)
    address = estate.address("search")  # unassociated: $3.65
    bucket("logs-payments")
    sizes("logs-payments", svc.now(), StandardStorage=1000)  # lifecycle saves $10.40
    report = collect_savings(svc)
    lines = [(i.source, i.finding.resource_id, i.saving) for i in report.items]
    assert lines == [
        ("orphans", orphan, Decimal("30.00")),
        ("storage", "logs-payments", Decimal("10.40")),
        ("orphans", address, Decimal("3.65")),
    ]
    # The orphaned gp2 volume is also a gp3 candidate: counted once, as waste, with gp3
    # as its alternative.
    assert report.overlapping == 1
    assert [(a.source, a.saving) for a in report.items[0].alternatives] == [
        ("storage", Decimal("6.00"))
    ]
    # /storage agrees: the unattached volume is only an alternative there (no button, no
    # part of its total).
    storage = scan_storage(svc)
    [gp2] = storage.volumes
    assert gp2.action is None and "`/orphans` proposes deleting it" in gp2.reason
    assert storage.volume_saving == Decimal("0.00")
    assert report.total == Decimal("44.05")
    assert report.by_source() == {"orphans": Decimal("33.65"), "storage": Decimal("10.40")}
    assert {"orphans", "storage"} <= set(load_sources())


def test_team_filter_and_protected_resources(svc: Services, estate: Estate) -> None:
    mine = estate.volume(100, "gp2", "payments")
    estate.volume(100, "gp2", "search")
    estate.volume(100, "gp2", "payments", **{"finops:protect": "true"})
    report = collect_savings(svc, ScanFilter(team="payments"))
    assert [i.finding.resource_id for i in report.items] == [mine]
    assert report.protected == 2  # as waste and as a gp3 candidate
    assert report.total == Decimal("10.00")


def test_a_failing_source_is_reported_and_the_rest_still_listed(
    svc: Services,
    estate: Estate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orphan = estate.volume(100, "gp2", "payments")
    load_sources()

    def broken(services: Services, scope: ScanFilter) -> savings.SourceResult:
        raise RuntimeError("storage exploded")

    monkeypatch.setitem(SOURCES, "storage", savings.SavingsSource("storage", "/storage", broken))
    report = collect_savings(svc)
    assert [i.finding.resource_id for i in report.items] == [orphan]
    assert [(f.kind, "storage exploded" in f.message) for f in report.failures] == [
        ("storage", True)
    ]
    shown = text_of(savings_message(report, scope=ScanFilter()))
    assert "Not looked at" in shown and "storage exploded" in shown


def test_long_lists_stay_within_slack_limits(svc: Services, estate: Estate) -> None:
    for size in range(1, 61):
        estate.volume(size, "gp3", "payments")
    report = collect_savings(svc)
    assert len(report.items) == 60
    message = savings_message(report, scope=ScanFilter())
    assert len(message["blocks"]) <= MAX_BLOCKS
    shown = text_of(message)
    # 60 volumes of 1..60 GiB gp3 at $0.08: $146.40 in all.
    assert "Savings: $146.40/month" in message["text"]
    assert "Showing 1 to 20 of 60" in shown and "Show more (40 left)" in shown
    last = text_of(savings_message(report, scope=ScanFilter(), page=Page("/savings", "", 40)))
    assert "Showing 41 to 60 of 60" in last and "listing_show_more" not in last


def test_register_twice_is_refused() -> None:
    load_sources()
    with pytest.raises(ValueError, match="registered twice"):
        savings.savings_source("orphans", "/orphans")(lambda services, scope: ([], []))


# --- through Slack ---------------------------------------------------------------------


@pytest.fixture
def world(slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStack]:
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield slack_stack


def ask(stack: SlackStack, text: str, marker: str) -> dict[str, object]:
    console = stack.console
    before = len(console.ephemerals("U0DEV"))
    console.send_command(user_id="U0DEV", channel_id="C0PAY", text=text)
    return console.wait_for(  # type: ignore[no-any-return]
        lambda: [
            m for m in console.ephemerals("U0DEV")[before:] if marker in text_of(m) and settled(m)
        ],
        timeout=30,
    )[-1]


def test_savings_answer_and_its_button_opens_a_request(world: SlackStack) -> None:
    console = world.console
    orphan = volume(200, "gp2")  # unattached gp2: $20.00 waste, also a $4.00 gp3 candidate
    answer = ask(world, "/savings team=payments", "Savings:")
    assert "Savings: $20.00/month (team payments)" in str(answer["text"])
    block = next(b for b in answer["blocks"] if orphan in b.get("block_id", ""))  # type: ignore[attr-defined]
    assert block["accessory"]["action_id"] == "orphans_request_cleanup"
    console.click(
        user_id="U0DEV",
        message_id=str(answer["id"]),
        action_id="orphans_request_cleanup",
        block_id=block["block_id"],
    )
    request = console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if orphan in text_of(m)], timeout=15
    )[-1]
    assert "Approve" in text_of(request)
    again = ask(world, "/savings", "Savings:")
    assert "request #" in text_of(again) and "is open" in text_of(again)


def test_savings_bad_arguments_and_help(world: SlackStack) -> None:
    answer = ask(world, "/savings team=paymnts", "Unknown team")
    assert "did you mean payments" in text_of(answer).lower()
    answer = ask(world, "/savings kind=volume", "Usage")
    assert "/savings [team=NAME]" in text_of(answer)
    answer = ask(world, "/savings help", "Collects from")
    assert "orphans" in text_of(answer) and "storage" in text_of(answer)
