"""Two accounts in moto (STS assume_role into another account id sees that account's own
estate): the inventory's findings carry the right account, a target that cannot be read
is reported without hiding the other, and a cleanup in the second account acts through
that account's role."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from bot.findings.registry import load_kinds
from bot.findings.scope import ScanFilter
from bot.inventory import store
from bot.inventory.listing import refresh_and_wait
from bot.inventory.store import TargetKey
from bot.remediation import service
from bot.remediation.service import ResourceRef
from bot.services import Services
from tests.orphans_fixtures import Clock, Estate, aws, clock, services_for  # noqa: F401

MAIN = "123456789012"  # moto's own account
SECOND = "222222222222"
ROLE = f"arn:aws:iam::{SECOND}:role/finops-bot"
CONFIG = textwrap.dedent(
    f"""\
    finops:
      regions: [us-east-1, eu-west-1]
      default_channel: C0FINOPS
      accounts:
        - {{id: "{MAIN}"}}
        - {{id: "{SECOND}", role_arn: "{ROLE}"}}
      tags: {{team: Team, owner: Owner, protect: "finops:protect"}}
      teams:
        payments: {{channel: C0PAY, approvers: [U0LEAD]}}
        search:   {{channel: C0SRCH, approvers: [U0SLEAD]}}
    """
)


def second_account(base: boto3.Session) -> boto3.Session:
    creds = base.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="seed")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture
def two(tmp_path: Path, sqlite_url: str, aws: boto3.Session, clock: Clock) -> Iterator[Services]:
    built = services_for(tmp_path, sqlite_url, CONFIG)
    built.now = clock
    yield built
    built.db.dispose()


def test_findings_carry_their_account_and_cleanup_uses_its_role(
    two: Services, aws: boto3.Session
) -> None:
    other = second_account(aws)
    mine = Estate(aws).volume(100, "gp2", "payments")
    theirs = Estate(other).volume(200, "gp2", "payments", region="eu-west-1")
    listing = refresh_and_wait(two, kinds=["volume"], scope=ScanFilter())
    where = {f.resource_id: (f.account, f.region) for f in listing.findings}
    assert where == {mine: (MAIN, "us-east-1"), theirs: (SECOND, "eu-west-1")}
    assert listing.targets == 4 and not listing.failures

    opened = service.request_cleanup(
        two, ResourceRef("volume", "eu-west-1", SECOND, theirs), user="U0DEV"
    )
    assert opened.request is not None, opened.problem
    assert service.decide(two, opened.request.id, user="U0LEAD", approve=True).outcome == (
        "approved"
    )
    done = service.execute(two, opened.request.id)
    assert done.outcome == "executed", done.message
    # Gone from the second account (seen through its role), the first untouched.
    left = other.client("ec2", region_name="eu-west-1").describe_volumes()["Volumes"]
    assert theirs not in [v["VolumeId"] for v in left]
    assert mine in [v["VolumeId"] for v in aws.client("ec2").describe_volumes()["Volumes"]]
    # The inventory shows it at once, without a rescan.
    key = TargetKey(SECOND, "eu-west-1", "volume")
    assert [f.resource_id for f in store.read(two.db, [key])[key].findings] == []


def test_an_unreadable_account_is_reported_and_the_other_listed(
    two: Services, aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = Estate(aws).volume(100, "gp2", "payments")
    original = two.aws.client

    def client(service_name: str, **kwargs: object) -> object:
        if kwargs.get("account") == SECOND and service_name == "ec2":
            raise RuntimeError("AccessDenied: sts:AssumeRole on finops-bot")
        return original(service_name, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(two.aws, "client", client)
    listing = refresh_and_wait(two, kinds=["volume"], scope=ScanFilter())
    assert [f.resource_id for f in listing.findings] == [mine]
    assert sorted((f.account, f.region) for f in listing.failures) == [
        (SECOND, "eu-west-1"),
        (SECOND, "us-east-1"),
    ]
    assert all("AccessDenied" in f.message for f in listing.failures)


def test_organization_accounts_are_listed_and_read_through_their_role(
    tmp_path: Path, sqlite_url: str, aws: boto3.Session, clock: Clock
) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    created = org.create_account(AccountName="shop", Email="shop@example.com")
    member = created["CreateAccountStatus"]["AccountId"]
    config = textwrap.dedent(
        """\
        finops:
          regions: [us-east-1]
          default_channel: C0FINOPS
          organization: {role_name: finops-bot}
          teams:
            payments: {channel: C0PAY, approvers: [U0LEAD]}
        """
    )
    services = services_for(tmp_path, sqlite_url, config)
    services.now = clock
    creds = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/finops-bot", RoleSessionName="seed"
    )["Credentials"]
    shop = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    mine = Estate(aws).volume(100, "gp2", "payments")
    theirs = Estate(shop).volume(50, "gp2", "payments")
    assert sorted(services.aws.accounts()) == sorted([MAIN, member])
    listing = refresh_and_wait(services, kinds=["volume"], scope=ScanFilter())
    assert {f.resource_id: f.account for f in listing.findings} == {mine: MAIN, theirs: member}
    services.db.dispose()


def test_targets_are_scanned_concurrently_within_the_configured_bound(
    tmp_path: Path,
    sqlite_url: str,
    aws: boto3.Session,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = CONFIG.replace("  tags:", "  inventory: {concurrency: 2}\n  tags:", 1)
    bounded = services_for(tmp_path, sqlite_url, config)
    bounded.now = clock
    kind = load_kinds()["volume"]
    real_scan = kind.scan_target
    lock = threading.Lock()
    running, peak = [0], [0]

    def counted(ctx: object) -> object:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.3)
        try:
            return real_scan(ctx)  # type: ignore[arg-type]
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(kind, "scan_target", counted)
    try:
        listing = refresh_and_wait(bounded, kinds=["volume"], scope=ScanFilter())
    finally:
        bounded.db.dispose()
    assert listing.targets == 4 and not listing.failures  # two accounts x two regions
    assert peak[0] == 2  # concurrent, never more than inventory.concurrency
