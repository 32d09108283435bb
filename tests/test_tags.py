"""`/tags`: listing, compliance math, untagged spend, failures and rendering (moto + CE)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bot.inventory.tags import tag_report
from bot.payloads import ListingPageButton
from bot.render.common import MAX_BLOCKS
from bot.render.listing import ListingAction, Page
from bot.render.tags import MAX_LISTED, TagsAction, tags_csv, tags_message
from bot.services import Services
from bot.tags.compliance import NO_TEAM, Checked, TagReport
from bot.tags.inventory import LISTERS, PERMISSIONS, TaggedResource, list_resources
from standins.cost_explorer import CostExplorerStandin
from tests.orphans_fixtures import Clock, aws, clock, svc  # noqa: F401
from tests.tags_fixtures import NOW, ce, known_estate  # noqa: F401


def test_compliance_overall_per_team_and_what_is_missing(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
) -> None:
    clock.moment = NOW
    ids = known_estate(aws)
    report = tag_report(svc)
    assert report.failures == []
    assert len(report.checked) == 6  # untagged volume and bucket included
    assert (report.compliant, report.pct) == (2, Decimal("33.3"))
    teams = {t.team: (t.compliant, t.total, t.pct) for t in report.teams}
    assert teams == {
        "payments": (1, 2, Decimal("50.0")),
        "search": (1, 2, Decimal("50.0")),
        NO_TEAM: (0, 2, Decimal("0.0")),
    }
    assert report.teams[-1].team == NO_TEAM
    missing = {c.resource.resource_id: c.missing for c in report.missing}
    assert missing == {
        ids["half"]: ("Environment", "Project"),
        ids["ip"]: ("Environment", "Project"),
        ids["bare"]: ("Environment", "Team", "Project", "Owner"),
        "untagged-logs": ("Environment", "Team", "Project", "Owner"),
    }
    assert [c.resource.resource_id for c in report.missing][:2] == sorted(
        [ids["bare"], "untagged-logs"]
    )  # the ones missing most first
    assert report.missing_counts == {"Environment": 4, "Team": 2, "Project": 4, "Owner": 2}
    # Untagged spend this month: Nov 1-19 at $5/day (October's $100/day left out).
    assert report.untagged_spend == Decimal("95.00")
    assert report.currency == "USD" and report.spend_note is None


def test_team_filter_and_blank_values(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
) -> None:
    clock.moment = NOW
    ids = known_estate(aws)
    ec2 = aws.client("ec2", region_name="us-east-1")
    ec2.create_tags(Resources=[ids["full"]], Tags=[{"Key": "Project", "Value": " "}])
    report = tag_report(svc, team="PAYMENTS")
    assert {c.resource.resource_id for c in report.checked} == {ids["full"], ids["half"]}
    assert report.pct == Decimal("0.0")  # a blank value is as good as missing
    assert report.missing[-1].missing == ("Project",)


def test_every_kind_is_listed_including_instance_root_volumes(
    svc: Services,
    aws: boto3.Session,
) -> None:
    ec2 = aws.client("ec2", region_name="us-east-1")
    instance = ec2.run_instances(
        ImageId="ami-12345678",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Team", "Value": "payments"}]}
        ],
    )["Instances"][0]["InstanceId"]
    root = ec2.describe_volumes()["Volumes"][0]["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=root)["SnapshotId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elb = aws.client("elbv2", region_name="eu-west-1")
    eu_subnets = [
        s["SubnetId"]
        for s in aws.client("ec2", region_name="eu-west-1").describe_subnets()["Subnets"]
    ][:2]
    assert subnets
    lb = elb.create_load_balancer(
        Name="web", Subnets=eu_subnets, Tags=[{"Key": "Team", "Value": "search"}]
    )
    arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    inventory = list_resources(svc.aws, svc.config)
    found = {(r.resource_type, r.resource_id): r for r in inventory.resources}
    assert set(found) == {
        ("ec2-instance", instance),
        ("ebs-volume", root),
        ("ebs-snapshot", snapshot),
        ("load-balancer", arn),
    }
    assert found[("load-balancer", arn)].tags == {"Team": "search"}
    assert found[("load-balancer", arn)].region == "eu-west-1"
    assert found[("load-balancer", arn)].name == "web"
    assert found[("ec2-instance", instance)].account == "123456789012"
    ec2.terminate_instances(InstanceIds=[instance])
    kinds = {r.resource_type for r in list_resources(svc.aws, svc.config).resources}
    assert "ec2-instance" not in kinds


def test_one_region_failing_is_reported_and_the_rest_counted(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
) -> None:
    clock.moment = NOW
    known_estate(aws)

    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeAddresses"
        )

    svc.aws.client("ec2", region="eu-west-1").meta.events.register(
        "before-call.ec2.DescribeAddresses", deny
    )
    report = tag_report(svc)
    assert [(f.region, f.kind) for f in report.failures] == [("eu-west-1", "elastic-ip")]
    assert "AccessDenied" in report.failures[0].message
    assert len(report.checked) == 5 and report.pct == Decimal("40.0")
    text = json.dumps(tags_message(report, owners={}))
    assert "Not everything could be read" in text and "eu-west-1 elastic-ip" in text


def test_a_type_that_fails_on_a_refresh_keeps_its_last_good_resources(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
) -> None:
    clock.moment = NOW
    known_estate(aws)
    assert len(tag_report(svc).checked) == 6  # the Elastic IP in eu-west-1 among them

    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeAddresses"
        )

    svc.aws.client("ec2", region="eu-west-1").meta.events.register(
        "before-call.ec2.DescribeAddresses", deny
    )
    clock.moment = NOW + timedelta(hours=1)  # the stored scan is stale: refreshed
    report = tag_report(svc)
    assert len(report.checked) == 6  # the address is still counted, from the last scan
    assert [(f.region, f.kind) for f in report.failures] == [("eu-west-1", "elastic-ip")]
    assert "AccessDenied" in report.failures[0].message
    assert f"as of {NOW:%Y-%m-%d %H:%M} UTC are shown" in report.failures[0].message
    clock.moment = NOW + timedelta(hours=2)  # fails again: still from the first scan
    assert f"as of {NOW:%Y-%m-%d %H:%M} UTC" in tag_report(svc).failures[0].message
    svc.aws.client("ec2", region="eu-west-1").meta.events.unregister(
        "before-call.ec2.DescribeAddresses", deny
    )
    clock.moment = NOW + timedelta(hours=3)
    report = tag_report(svc)
    assert report.failures == [] and len(report.checked) == 6


def test_cost_explorer_refusing_leaves_the_compliance_figures(
    svc: Services,
    aws: boto3.Session,
    clock: Clock,
    ce: CostExplorerStandin,
) -> None:
    clock.moment = NOW
    known_estate(aws)
    ce.fail_next(5, "AccessDeniedException", 400)
    report = tag_report(svc)
    assert report.untagged_spend is None and report.spend_note
    assert "refused" in report.spend_note
    assert report.pct == Decimal("33.3")
    assert "*Untagged spend this month:* unavailable" in json.dumps(tags_message(report, owners={}))


def _checked(n: int, owner: str | None) -> Checked:
    resource = TaggedResource(
        f"vol-{n:05d}", "ebs-volume", "us-east-1", "123456789012", {"Owner": owner} if owner else {}
    )
    return Checked(
        resource=resource, team=NO_TEAM, owner=owner, missing=("Environment", "Team", "Project")
    )


def test_a_large_report_stays_within_slack_limits_and_buttons_need_an_owner() -> None:
    checked = [
        _checked(n, "U0DEV" if n % 2 else ("x@example.com" if n % 4 else None)) for n in range(300)
    ]
    report = TagReport(
        required=["Environment", "Team", "Project", "Owner"],
        checked=checked,
        untagged_spend=Decimal("12345.6"),
    )
    message = tags_message(report, owners={"U0DEV": "U0DEV"})
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    listed = [b for b in blocks if str(b.get("block_id", "")).startswith("us-east-1/vol-")]
    assert len(listed) == MAX_LISTED
    body = json.dumps(message)
    assert f"Show more ({300 - MAX_LISTED} left)" in body
    assert f"Showing 1 to {MAX_LISTED} of 300" in body
    assert "$12,345.60" in body and "0.0 %" in body
    buttons = [b["accessory"] for b in listed if "accessory" in b]
    # Only owners that map to a Slack user get a button (the email did not resolve here).
    assert buttons and all(b["action_id"] == TagsAction.ASK_OWNER for b in buttons)
    assert all(json.loads(b["value"])["o"] == "U0DEV" for b in buttons)
    assert len(buttons) < len(listed)


def _next_page(message: dict[str, Any]) -> Page | None:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ListingAction.SHOW_MORE:
                value = ListingPageButton.decode(element["value"])
                assert value.c == "/tags"
                return Page(
                    command=value.c, text=value.q, offset=value.o, after=tuple(value.k or ())
                )
    return None


def _ids(message: dict[str, Any]) -> list[str]:
    prefix = "us-east-1/"
    return [
        b["block_id"][len(prefix) :]
        for b in message["blocks"]
        if str(b.get("block_id", "")).startswith(prefix)
    ]


def test_show_more_pages_through_every_resource_once_even_when_the_estate_changes() -> None:
    checked = [_checked(n, None) for n in range(60)]
    report = TagReport(required=["Environment", "Team", "Project", "Owner"], checked=checked)
    first = tags_message(report, owners={})
    seen = _ids(first)
    page = _next_page(first)
    assert page is not None and page.offset == MAX_LISTED
    # Between the pages one already shown disappears and one is fixed: nothing is
    # repeated or skipped among those still there.
    report.checked = [c for c in checked if c.resource.resource_id not in (seen[0], seen[3])]
    second = tags_message(report, owners={}, page=page)
    # positions in the list as it is now (two before this page are gone)
    assert f"Showing {MAX_LISTED - 1} to {2 * MAX_LISTED - 2} of 58" in json.dumps(second)
    seen += _ids(second)
    page = _next_page(second)
    assert page is not None
    third = tags_message(report, owners={}, page=page)
    seen += _ids(third)
    assert _next_page(third) is None
    assert sorted(seen) == sorted(c.resource.resource_id for c in checked)
    assert len(seen) == len(set(seen))


def test_the_csv_holds_every_resource_as_plain_cells() -> None:
    risky = Checked(
        resource=TaggedResource("=cmd()", "s3-bucket", "eu-west-1", "123456789012", {}),
        team="payments",
        owner="<@U0DEV>",
        missing=("Environment",),
    )
    report = TagReport(required=["Environment"], checked=[_checked(n, None) for n in range(40)])
    text = tags_csv([*report.missing, risky])
    lines = text.splitlines()
    assert lines[0] == "id,type,account,region,team,owner,missing,age_days"
    assert len(lines) == 42
    assert lines[1].startswith("vol-00000,ebs-volume,123456789012,us-east-1,,,")
    assert "Environment Team Project" in lines[1]
    assert lines[-1] == "'=cmd(),s3-bucket,123456789012,eu-west-1,payments,<@U0DEV>,Environment,"


def test_the_read_only_policy_grants_what_the_listing_needs() -> None:
    from tests.test_iam_policies import allowed

    assert not set(PERMISSIONS) - allowed("finops-bot-readonly.json")


def test_listings_follow_every_page() -> None:
    """moto never pages, so the paginators are exercised with botocore's Stubber."""
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    volume = {"State": "available", "Size": 10, "VolumeType": "gp3", "AvailabilityZone": "x"}
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_volumes",
            {
                "Volumes": [
                    {**volume, "VolumeId": "vol-1", "Tags": [{"Key": "Team", "Value": "a"}]}
                ],
                "NextToken": "page-2",
            },
            {},
        )
        stub.add_response(
            "describe_volumes",
            {"Volumes": [{**volume, "VolumeId": "vol-2"}]},
            {"NextToken": "page-2"},
        )
        found = LISTERS["ebs-volume"](lambda _: ec2, "us-east-1", "123456789012")
        stub.assert_no_pending_responses()
    assert [(r.resource_id, r.tags) for r in found] == [("vol-1", {"Team": "a"}), ("vol-2", {})]
