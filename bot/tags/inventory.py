"""Listing taggable resources themselves (not through the Tagging API, which never returns a
resource without tags), concurrently over every account and region.

One kind failing in one target (AccessDenied, throttling...) becomes a `ScanFailure`; the
rest of the inventory still comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.aws import CURRENT_ACCOUNT, AwsClients, Target, describe_aws_error
from bot.config import FinopsConfig
from bot.findings.model import tag_dict
from bot.findings.scope import ScanFailure, caller_account, client_account

log = logging.getLogger(__name__)
MAX_WORKERS = 16
ELB_TAG_BATCH = 20  # DescribeTags takes at most 20 ARNs


#: IAM actions the listing needs (iam/finops-bot-readonly.json must grant them; a test checks).
PERMISSIONS = (
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:DescribeSnapshots",
    "ec2:DescribeAddresses",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTags",
    "s3:ListAllMyBuckets",
    "s3:GetBucketTagging",
    "s3:GetBucketLocation",
)


@dataclass(frozen=True)
class TaggedResource:
    """One taggable resource and its tags (plain data)."""

    resource_id: str
    resource_type: str  # a key of LISTERS (ec2-instance, ebs-volume, s3-bucket...)
    region: str
    account: str
    tags: dict[str, str]
    name: str = ""
    #: What else a reader needs (instances: `state` and `instance_type`, for the budget
    #: ladder's stop proposals); compared with nothing, so left out of equality.
    details: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class Inventory:
    """Every resource listed, and the parts of the estate that could not be read."""

    resources: list[TaggedResource] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)


Lister = Callable[[Callable[[str], Any], str, str], list[TaggedResource]]


def _pages(api: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    paginator = api.get_paginator(operation)
    return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]


def instance_resources(
    instances: list[dict[str, Any]], region: str, account: str
) -> list[TaggedResource]:
    """Described instances as taggable resources (terminated ones left out)."""
    found = []
    for inst in instances:
        if inst.get("State", {}).get("Name") in ("terminated", "shutting-down"):
            continue
        tags = tag_dict(inst.get("Tags"))
        details = {
            "state": str(inst.get("State", {}).get("Name", "")),
            "instance_type": str(inst.get("InstanceType", "")),
        }
        found.append(
            TaggedResource(
                inst["InstanceId"],
                "ec2-instance",
                region,
                account,
                tags,
                tags.get("Name", ""),
                details,
            )
        )
    return found


def _instances(client: Callable[[str], Any], region: str, account: str) -> list[TaggedResource]:
    reservations = _pages(client("ec2"), "describe_instances", "Reservations")
    instances = [i for r in reservations for i in r.get("Instances", [])]
    return instance_resources(instances, region, account)


def volume_resources(
    volumes: list[dict[str, Any]], region: str, account: str
) -> list[TaggedResource]:
    """Described volumes as taggable resources."""
    return [
        TaggedResource(v["VolumeId"], "ebs-volume", region, account, tags, tags.get("Name", ""))
        for v in volumes
        for tags in [tag_dict(v.get("Tags"))]
    ]


def _volumes(client: Callable[[str], Any], region: str, account: str) -> list[TaggedResource]:
    return volume_resources(_pages(client("ec2"), "describe_volumes", "Volumes"), region, account)


def snapshot_resources(
    snapshots: list[dict[str, Any]], region: str, account: str
) -> list[TaggedResource]:
    """Described snapshots as taggable resources."""
    return [
        TaggedResource(s["SnapshotId"], "ebs-snapshot", region, account, tags, tags.get("Name", ""))
        for s in snapshots
        for tags in [tag_dict(s.get("Tags"))]
    ]


def _snapshots(client: Callable[[str], Any], region: str, account: str) -> list[TaggedResource]:
    snapshots = _pages(client("ec2"), "describe_snapshots", "Snapshots", OwnerIds=["self"])
    return snapshot_resources(snapshots, region, account)


def address_resources(
    addresses: list[dict[str, Any]], region: str, account: str
) -> list[TaggedResource]:
    """Described Elastic IPs as taggable resources."""
    return [
        TaggedResource(
            a.get("AllocationId") or a["PublicIp"],
            "elastic-ip",
            region,
            account,
            tags,
            tags.get("Name", "") or a.get("PublicIp", ""),
        )
        for a in addresses
        for tags in [tag_dict(a.get("Tags"))]
    ]


def _addresses(client: Callable[[str], Any], region: str, account: str) -> list[TaggedResource]:
    addresses = client("ec2").describe_addresses().get("Addresses", [])  # not paginated
    return address_resources(addresses, region, account)


def _load_balancers(
    client: Callable[[str], Any], region: str, account: str
) -> list[TaggedResource]:
    elb = client("elbv2")
    balancers = _pages(elb, "describe_load_balancers", "LoadBalancers")
    arns = [b["LoadBalancerArn"] for b in balancers]
    tags_by_arn: dict[str, dict[str, str]] = {}
    for i in range(0, len(arns), ELB_TAG_BATCH):
        for desc in elb.describe_tags(ResourceArns=arns[i : i + ELB_TAG_BATCH])["TagDescriptions"]:
            tags_by_arn[desc["ResourceArn"]] = tag_dict(desc.get("Tags"))
    return [
        TaggedResource(
            b["LoadBalancerArn"],
            "load-balancer",
            region,
            account,
            tags_by_arn.get(b["LoadBalancerArn"], {}),
            b["LoadBalancerName"],
        )
        for b in balancers
    ]


def _buckets(client: Callable[[str], Any], region: str, account: str) -> list[TaggedResource]:
    """Buckets are global: listed once per account (from its first region)."""
    s3 = client("s3")
    found = []
    for bucket in _pages(s3, "list_buckets", "Buckets"):
        name = bucket["Name"]
        try:
            tags = tag_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchTagSet":
                raise
            tags = {}
        location = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        found.append(TaggedResource(name, "s3-bucket", location, account, tags, name))
    return found


#: What is listed per account and region (s3 only in each account's first region).
LISTERS: dict[str, Lister] = {
    "ec2-instance": _instances,
    "ebs-volume": _volumes,
    "ebs-snapshot": _snapshots,
    "elastic-ip": _addresses,
    "load-balancer": _load_balancers,
    "s3-bucket": _buckets,
}


def list_resources(
    aws: AwsClients, config: FinopsConfig, *, max_workers: int = MAX_WORKERS
) -> Inventory:
    """Every taggable resource in every configured account and region; never raises for AWS."""
    targets: list[Target] = list(aws.targets())
    inventory = Inventory()
    if not targets:
        return inventory
    own = (
        caller_account(aws, targets[0].region)
        if any(t.account == CURRENT_ACCOUNT for t in targets)
        else CURRENT_ACCOUNT
    )
    first_region: dict[str, str] = {}
    for t in targets:
        first_region.setdefault(t.account, t.region)
    jobs = [
        (t, kind)
        for t in targets
        for kind in LISTERS
        if kind != "s3-bucket" or first_region[t.account] == t.region
    ]

    def run(job: tuple[Target, str]) -> tuple[list[TaggedResource], ScanFailure | None]:
        target, kind = job
        account = own if target.account == CURRENT_ACCOUNT else target.account

        def client(service: str) -> Any:
            return aws.client(service, region=target.region, account=target.account)

        try:
            return LISTERS[kind](client, target.region, account), None
        except Exception as exc:  # one target failing must not sink the report
            log.warning("listing %s in %s/%s failed: %s", kind, target.account, target.region, exc)
            return [], ScanFailure(target.account, target.region, kind, describe_aws_error(exc))

    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        for found, failure in pool.map(run, jobs):
            inventory.resources.extend(found)
            if failure is not None:
                inventory.failures.append(failure)
    inventory.resources.sort(key=lambda r: (r.region, r.resource_type, r.resource_id))
    return inventory


def find_resource(
    aws: AwsClients,
    config: FinopsConfig,
    *,
    resource_type: str,
    region: str,
    account: str,
    resource_id: str,
) -> TaggedResource | None:
    """One resource as it is now (None when it is gone), by listing its kind in its target."""
    lister = LISTERS.get(resource_type)
    if lister is None:
        return None
    key = client_account(config, account)

    def client(service: str) -> Any:
        return aws.client(service, region=region, account=key)

    return next((r for r in lister(client, region, account) if r.resource_id == resource_id), None)
