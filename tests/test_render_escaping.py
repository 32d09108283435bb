"""Every message kind, rendered with hostile values, carries no live Slack markup from them.

Property-based (hypothesis): tag values, names, ids, team names, AWS error messages and
typed input are drawn from strings built around `<!channel>`, `<!here>`, `<!everyone>`,
`<!subteam^…>`, disguised links, stray mentions and backticks; the mrkdwn of the rendered
message (and its `text` fallback) must contain none of them as markup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.advice.savings import Recommendation, SavingsReport
from bot.budgets.status import BudgetStatus
from bot.budgets.store import Budget
from bot.cost.periods import Period
from bot.cost.query import CostQuery
from bot.cost.report import CostReport, Forecast, Line
from bot.digest.estate import EstateFigures
from bot.digest.report import Digest, Mover, TeamWeek
from bot.home import HomeData
from bot.orphans.model import Finding
from bot.orphans.prices import default_prices
from bot.orphans.scanner import ScanFailure, ScanFilter, ScanResult
from bot.render import compute as compute_render
from bot.render import remediation as remediation_render
from bot.render import rightsize as rightsize_render
from bot.render import storage_advice as storage_render
from bot.render.anomalies import AnomalyView, anomaly_message
from bot.render.budgets import (
    budget_set_message,
    budget_table,
    forecast_warning,
    threshold_message,
)
from bot.render.common import error_message, header
from bot.render.cost import cost_message
from bot.render.digest import digest_message
from bot.render.home import home_view
from bot.render.orphans import orphans_message
from bot.render.savings import savings_message
from bot.render.tags import owner_asked, owner_request_message, tags_message
from bot.render.text import code, esc, mention_channel, mention_user, neutralize, tag_value
from bot.tags.compliance import Checked, TagReport, TeamCompliance
from bot.tags.inventory import TaggedResource
from storage.models_alerts import Anomaly
from storage.models_remediation import CleanupRequest

#: What must never appear in mrkdwn because of a value.
FORBIDDEN = (
    "<!channel",
    "<!here",
    "<!everyone",
    "<!subteam^",
    "<http",
    "<mailto",
    "<@UEVIL",
    "<#CEVIL",
)
ATTACKS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0EVIL>",
    "<!subteam^S0EVIL|@admins>",
    "<https://evil.example|click me>",
    "<http://evil.example>",
    "<mailto:a@evil.example|mail>",
    "<@UEVIL1>",
    "<#CEVIL1>",
    "`<!channel>`",
    "x` <!here> `y",
    "```<!everyone>```",
    "&lt;!channel&gt;",
    "*bold* _it_ ~s~ <!here|here>",
]
hostile = st.one_of(
    st.sampled_from(ATTACKS),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(alphabet="ab `*_~<>&|!@#\n", max_size=8),
        st.sampled_from(ATTACKS),
        st.text(alphabet="ab `*_~<>&|!@#", max_size=8),
    ),
)
SETTINGS = settings(max_examples=40, deadline=None)


def mrkdwn_texts(message: Any) -> list[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects and the `text` fallback."""
    found: list[str] = []

    def walk(node: Any, top: bool) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for key, value in node.items():
                if top and key == "text" and isinstance(value, str):
                    found.append(value)
                elif key not in ("value", "private_metadata"):
                    walk(value, False)
        elif isinstance(node, list):
            for item in node:
                walk(item, False)

    walk(message, True)
    return found


def assert_inert(message: Any, *, forbidden: tuple[str, ...] = FORBIDDEN) -> None:
    texts = mrkdwn_texts(message)
    assert texts, "nothing rendered"
    for text in texts:
        for bad in forbidden:
            assert bad not in text, f"{bad!r} is live in {text!r}"


#: What the blocks' own safety net (`neutralize`) stops even in text nobody escaped:
#: everything but a plain user/channel mention.
SPECIAL = FORBIDDEN[:6]


def finding(value: str, **extra: Any) -> Finding:
    values: dict[str, Any] = dict(
        resource_id=f"vol-1{value}",
        kind="volume",
        resource_type="ebs-volume",
        region="us-east-1",
        account="123456789012",
        name=value,
        size=f"100 GiB {value}",
        age_days=3,
        tags={"Owner": value, "Team": value},
        team=value,
        owner=value,
        monthly_cost=Decimal("12.34"),
        approximate=False,
        action="snapshot-and-delete-volume",
        reason=f"not attached {value}",
        details={"instance_type": value, "proposed_type": value, "auto_scaling_group": value},
    )
    values.update(extra)
    return Finding(**values)


def failure(value: str) -> ScanFailure:
    return ScanFailure("123456789012", "us-east-1", value, f"AccessDenied: {value}")


@SETTINGS
@given(hostile)
def test_listings(value: str) -> None:
    f = finding(value)
    scope = ScanFilter(team=value, region=value)
    result = ScanResult(findings=[f], targets=1, failures=[failure(value)])
    assert_inert(orphans_message(result, scope=scope, prices=default_prices()))
    report = SavingsReport(items=[Recommendation(f, "orphans", value)], failures=[failure(value)])
    assert_inert(savings_message(report, scope=scope))
    for render in (
        rightsize_render.finding_block,
        compute_render.finding_block,
        storage_render.volume_block,
        storage_render.bucket_block,
    ):
        assert_inert(render(f))
    assert_inert(rightsize_render.finding_block(finding(value, details={"asg": 1})))
    assert_inert({"text": "x", "blocks": compute_render.kept_lines([f])})


def request(value: str, state: str = "pending", **extra: Any) -> CleanupRequest:
    f = finding(value)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    values: dict[str, Any] = dict(
        id=7,
        state=state,
        resource_id=f.resource_id,
        resource_type="ebs-volume",
        kind="volume",
        action="snapshot-and-delete-volume",
        region=value,
        account="123456789012",
        team=value,
        owner=value,
        monthly_saving=Decimal("12.34"),
        finding=f.to_json(),
        requested_by="U0DEV",
        requested_at=now,
        expires_at=now + timedelta(days=3),
        decided_by="U0LEAD",
        result=f"AWS said: {value}",
        channel="C0PAY",
    )
    values.update(extra)
    return CleanupRequest(**values)


@SETTINGS
@given(hostile, st.sampled_from(["pending", "executed", "failed", "rejected", "expired"]))
def test_approval_requests_and_redraws(value: str, state: str) -> None:
    req = request(value, state)
    assert_inert(remediation_render.approval_message(req, deciders=["U0LEAD", value]))
    assert_inert(remediation_render.requester_message(req))
    assert_inert(remediation_render.request_posted(req))
    assert_inert(remediation_render.already_open(req))
    assert_inert(remediation_render.closed(req))
    # a problem text is mrkdwn its caller built; even unescaped, nothing special is live
    assert_inert(
        remediation_render.problem(f"No cleanup requested: {value}", hint=value), forbidden=SPECIAL
    )


@SETTINGS
@given(hostile)
def test_tags_and_ask_owner(value: str) -> None:
    # region and account come from AWS (and button values check their shape)
    resource = TaggedResource(
        value, "ebs-volume", "us-east-1", "123456789012", {"Owner": value}, name=value
    )
    report = TagReport(
        required=["Team", value],
        checked=[Checked(resource, value, value, ("Team", value))],
        failures=[failure(value)],
        team=value,
        untagged_spend=Decimal("1.00"),
        spend_note=value,
    )
    assert_inert(tags_message(report, owners={value: "U0OWNER"}))
    assert_inert(tags_message(report, owners={}))
    button = {"id": value, "n": value, "t": value, "r": value, "a": value, "m": [value], "o": value}
    assert_inert(owner_request_message(button, asked_by="U0DEV"))
    assert_inert(owner_asked(button))


@SETTINGS
@given(hostile)
def test_cost_answers_and_shared_messages(value: str) -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 30), "last month")
    report = CostReport(
        query=CostQuery(team=value, by=f"tag:{value}", account=value, region=value),
        period=period,
        dimension=f"tag {value}",
        currency="USD",
        total=Decimal("10.00"),
        lines=[
            Line(value, Decimal("6.00"), Decimal("60")),
            Line(f"no {value}", Decimal("4.00"), Decimal("40"), kind="untagged"),
        ],
        daily=[],
        forecast=Forecast(Decimal("20"), Decimal("30"), Decimal("66.7"), note=value),
        service_name=value,
        problem=value,
        notes=[value],
    )
    assert_inert(cost_message(report, command="/cost"))
    assert_inert(cost_message(report, command="/cost", shareable=False, shared_by=value))


@SETTINGS
@given(hostile)
def test_anomalies_and_errors(value: str) -> None:
    view = AnomalyView(
        anomaly_id=1,
        team=value,
        service=value,
        account=value,
        first_day=date(2026, 11, 1),
        last_day=date(2026, 11, 2),
        expected=Decimal("1"),
        actual=Decimal("5"),
        impact=Decimal("4"),
        contributors=[
            {"usage_type": value, "region": value, "account": value, "amount": "3", "before": "1"}
        ],
        recommendations=[value],
    )
    for status in ("open", "investigating", "expected"):
        view.status, view.feedback_by = status, "U0DEV"
        assert_inert(anomaly_message(view))
    assert_inert(error_message(f'Unknown argument "{value}"', hint=value), forbidden=SPECIAL)
    assert_inert(error_message(f'Unknown argument "{esc(value)}"', hint=esc(value)))


@SETTINGS
@given(hostile)
def test_budgets_digest_and_home(value: str) -> None:
    today = date(2026, 11, 20)
    status = BudgetStatus(
        team=value,
        budget=Budget(value, Decimal("1000"), "config"),
        month_to_date=Decimal("900"),
        forecast=Decimal("1300"),
        forecast_basis=value,
        today=today,
    )
    unbudgeted = BudgetStatus(value, Budget(value, None, "config"), Decimal("1"), None, "", today)
    assert_inert(budget_table([status, unbudgeted]))
    assert_inert(threshold_message(status, Decimal("80"), step="notify", proposals=[]))
    assert_inert(forecast_warning(status))
    assert_inert(budget_set_message(value, Decimal("5"), Decimal("4")))
    anomaly = Anomaly(
        team=value,
        service=value,
        account=value,
        first_day=today,
        last_day=today,
        expected=Decimal("1"),
        actual=Decimal("5"),
        impact=Decimal("4"),
        status="open",
    )
    digest = Digest(
        week="2026-W47",
        start=today - timedelta(days=7),
        end=today,
        currency="USD",
        teams=[TeamWeek(value, Decimal("2"), Decimal("1"))],
        budgets=[status, unbudgeted],
        movers=[Mover(value, value, Decimal("2"), Decimal("1"))],
        anomalies=[anomaly],
        savings=Decimal("1"),
        executed=1,
        open_requests=1,
        open_savings=Decimal("1"),
        estate=EstateFigures(
            waste=Decimal("1"),
            waste_items=1,
            savings=Decimal("1"),
            savings_items=1,
            savings_by_source={value: Decimal("1")},
            tagged=1,
            counted=2,
            teams=[TeamCompliance(value, 2, 1)],
            notes=[value],
        ),
        problem=value,
        notes=[value],
    )
    assert_inert(digest_message(digest))
    assert_inert(digest_message(digest, team=value))
    req = request(value)
    data = HomeData(
        user="U0LEAD",
        teams=[value],
        approver=True,
        budgets=[status, unbudgeted],
        waiting=[req],
        mine=[req],
        waste=[finding(value)],
        waste_total_count=9,
        notes=[value],
    )
    view = home_view(data, restore_days=7)
    assert_inert(view)
    assert_inert(remediation_render.reject_modal(req))


def test_helpers() -> None:
    assert esc("a & <b> > c") == "a &amp; &lt;b&gt; &gt; c"
    assert code("x`<!here>`y") == "`x\u02cb&lt;!here&gt;\u02cby`"
    assert code("") == "``"
    assert mention_user("U0LEAD") == "<@U0LEAD>"
    assert mention_user("<!channel>") == "&lt;!channel&gt;"
    assert mention_user(None) == "—"
    assert mention_channel("C0PAY") == "<#C0PAY>"
    assert mention_channel("<!here>") == "&lt;!here&gt;"
    assert tag_value("<!everyone>") == "&lt;!everyone&gt;"
    assert tag_value("U0LEAD") == "U0LEAD"  # a tag is text until it resolved to a user
    assert tag_value("lead@example.com", resolved_user="U0LEAD") == "<@U0LEAD>"
    assert neutralize("<@U0LEAD> in <#C0PAY>: <!here> <https://x|y>") == (
        "<@U0LEAD> in <#C0PAY>: &lt;!here&gt; &lt;https://x|y&gt;"
    )
    # a header is plain_text: the escaped value is shown as typed
    assert header(f"Cost: {esc('R&D <x>')}")["text"]["text"] == "Cost: R&D <x>"
