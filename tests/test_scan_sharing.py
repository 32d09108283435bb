"""One describe per target, shared between the kinds that need it (counted through moto);
bounded pages; a failed shared listing is not tried again by every kind; AWS client
timeouts and attempts from `aws:`."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from bot.aws import AwsClients
from bot.cli import main
from bot.config import ConfigError, FinopsConfig, load_config
from bot.findings.model import TargetContext
from bot.findings.registry import load_kinds
from bot.findings.scope import target_context
from bot.orphans.scanner import scan
from tests.conftest import make_env
from tests.orphans_fixtures import CONFIG, Estate, aws  # noqa: F401

#: The kinds that read volumes or instances in one target.
SHARING_KINDS = (
    "volume",
    "snapshot",
    "stopped-instance",
    "gp2-volume",
    "spot",
    "rightsizing",
    "tags",
)


class Calls:
    """Every AWS operation the clients of one session made, with its parameters."""

    def __init__(self, session: boto3.Session) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        session.events.register("provide-client-params.*.*", self._seen)

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        with self._lock:
            self.made.append((model.name, dict(params)))

    def count(self) -> Counter[str]:
        return Counter(name for name, _ in self.made)

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [p for name, p in self.made if name == operation]


def _config(tmp_path: Path, extra: str = "") -> FinopsConfig:
    path = tmp_path / "finops.yml"
    path.write_text(CONFIG + extra)
    return load_config(path)


def _estate(aws: boto3.Session) -> dict[str, str]:
    estate = Estate(aws)
    ids = {
        "gp2": estate.volume(100, "gp2", "payments"),
        "gp3": estate.volume(50, "gp3", "search"),
        "running": estate.instance(),
        "stopped": estate.instance(),
    }
    ec2 = aws.client("ec2", region_name="us-east-1")
    ec2.stop_instances(InstanceIds=[ids["stopped"]])
    gone = estate.volume(8, "gp2", None)
    ids["snapshot"] = ec2.create_snapshot(VolumeId=gone)["SnapshotId"]
    ec2.delete_volume(VolumeId=gone)
    return ids


def test_kinds_of_one_target_share_one_volume_and_one_instance_listing(
    aws: boto3.Session,
    tmp_path: Path,
) -> None:
    ids = _estate(aws)
    config = _config(tmp_path)
    session = boto3.Session(region_name="us-east-1")
    calls = Calls(session)
    clients = AwsClients(config, session=session)
    ctx = target_context(
        clients,
        config,
        account="current",
        region="us-east-1",
        now=datetime.now(UTC) + timedelta(days=400),  # every snapshot and stop is old
    )
    kinds = load_kinds()
    results: dict[str, list[str]] = {}

    def run(name: str) -> None:
        results[name] = [f.resource_id for f in kinds[name].scan_target(ctx)[0]]

    threads = [threading.Thread(target=run, args=(name,)) for name in SHARING_KINDS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = calls.count()
    assert made["DescribeVolumes"] == 1 and made["DescribeInstances"] == 1, made
    assert made["DescribeSnapshots"] == 1, made  # `snapshot` and `tags` share it too
    # What each kind found still comes from its own filter of the shared listings.
    assert results["volume"] == [] or set(results["volume"]) <= {ids["gp2"], ids["gp3"]}
    assert ids["gp2"] in results["gp2-volume"] and ids["gp3"] not in results["gp2-volume"]
    assert results["stopped-instance"] == [ids["stopped"]]
    assert results["snapshot"] == [ids["snapshot"]]
    assert {ids["gp2"], ids["gp3"], ids["stopped"]} <= set(results["tags"])
    # Each describe asked for bounded pages.
    assert calls.params("DescribeVolumes")[0]["MaxResults"] == 500
    assert calls.params("DescribeInstances")[0]["MaxResults"] == 1000
    assert calls.params("DescribeSnapshots")[0]["MaxResults"] == 1000


def test_an_orphan_scan_describes_each_listing_once_per_target(
    aws: boto3.Session,
    tmp_path: Path,
) -> None:
    estate = Estate(aws)
    volumes = {estate.volume(region=region) for region in ("us-east-1", "eu-west-1")}
    config = _config(tmp_path)
    session = boto3.Session(region_name="us-east-1")
    calls = Calls(session)
    result = scan(AwsClients(config, session=session), config, now=lambda: datetime.now(UTC))
    assert {f.resource_id for f in result.findings} == volumes and not result.failures
    made = calls.count()
    # Two targets: one listing of each per target, however many kinds read it; no
    # DescribeImages at all when there is no snapshot to check against AMIs.
    assert made["DescribeVolumes"] == 2 and made["DescribeInstances"] == 2, made
    assert made["DescribeSnapshots"] == 2 and made["DescribeImages"] == 0, made


def test_by_id_describes_are_not_paged() -> None:
    seen: list[dict[str, Any]] = []

    class Paginator:
        def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
            seen.append(kwargs)
            return [{"Reservations": []}]

    class Client:
        def get_paginator(self, _operation: str) -> Paginator:
            return Paginator()

    ctx = _context(lambda _service: Client())
    ctx.paginate("ec2", "describe_instances", "Reservations", InstanceIds=["i-1"])
    ctx.paginate("ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"])
    ctx.paginate("ecs", "list_clusters", "clusterArns")
    assert seen == [
        {"InstanceIds": ["i-1"]},  # MaxResults is refused beside instance ids
        {"OwnerIds": ["self"], "PaginationConfig": {"PageSize": 1000}},
        {},  # no page size known: the API's default
    ]


def _context(client: Any) -> TargetContext:
    config = FinopsConfig.model_validate({"regions": ["us-east-1"], "default_channel": "C0FIN"})
    from bot.findings.prices import default_prices

    return TargetContext(
        client=client,
        account="current",
        region="us-east-1",
        config=config,
        now=datetime.now(UTC),
        prices=default_prices(),
    )


def test_a_failed_shared_listing_fails_every_kind_without_being_tried_again() -> None:
    ctx = _context(lambda _service: None)
    tries = []

    def load() -> list[str]:
        tries.append(1)
        raise ReadTimeoutError(endpoint_url="http://aws")

    for _ in range(3):
        with pytest.raises(ReadTimeoutError):
            ctx.cached("volumes", load)
    assert len(tries) == 1
    assert ctx.cached("other", lambda: ["fine"]) == ["fine"]


def test_different_shared_listings_load_concurrently() -> None:
    ctx = _context(lambda _service: None)
    slow_started, release = threading.Event(), threading.Event()

    def slow() -> str:
        slow_started.set()
        assert release.wait(10)
        return "volumes"

    worker = threading.Thread(target=lambda: ctx.cached("volumes", slow))
    worker.start()
    assert slow_started.wait(10)
    # While the volume listing is still loading, another listing answers at once.
    assert ctx.cached("images", lambda: "images") == "images"
    release.set()
    worker.join(10)
    assert ctx.cached("volumes", lambda: "again") == "volumes"


def test_client_timeouts_and_attempts_come_from_the_aws_block(tmp_path: Path) -> None:
    default = AwsClients(_config(tmp_path)).client("ec2", region="us-east-1")
    assert default.meta.config.read_timeout == 60 and default.meta.config.connect_timeout == 5
    assert default.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    tuned = _config(
        tmp_path,
        "  aws: {read_timeout_seconds: 300, connect_timeout_seconds: 2, max_attempts: 3}\n",
    )
    ec2 = AwsClients(tuned).client("ec2", region="us-east-1")
    assert ec2.meta.config.read_timeout == 300 and ec2.meta.config.connect_timeout == 2
    assert ec2.meta.config.retries["total_max_attempts"] == 3
    with pytest.raises(ConfigError, match="read_timeout_seconds"):
        _config(tmp_path, "  aws: {read_timeout_seconds: 0}\n")
    with pytest.raises(ConfigError, match="max_attempt"):
        _config(tmp_path, "  aws: {max_attempts: 0}\n")


def test_assumed_role_sessions_share_one_service_model_loader(
    aws: boto3.Session,
    tmp_path: Path,
) -> None:
    accounts = "\n".join(
        f'    - {{id: "{n}", role_arn: "arn:aws:iam::{n}:role/finops-bot"}}'
        for n in ("111111111111", "222222222222")
    )
    config = _config(tmp_path, f"  accounts:\n{accounts}\n")
    clients = AwsClients(config)
    first = clients.client("ec2", account="111111111111")
    second = clients.client("ec2", account="222222222222")
    assert first._loader is second._loader
    assert first.describe_volumes()["Volumes"] == []  # each still reaches its own account
    paths = first._loader.search_paths
    assert len(paths) == len(set(paths))


def test_scan_orphans_opens_no_database(
    aws: boto3.Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    volume = Estate(aws).volume()
    config = tmp_path / "finops.yml"
    config.write_text(CONFIG)
    database = tmp_path / "never.db"
    for key, value in make_env(config, f"sqlite:///{database}").items():
        monkeypatch.setenv(key, value)
    assert main(["scan", "orphans", "--format", "json"]) == 0
    assert volume in capsys.readouterr().out
    assert not database.exists()
