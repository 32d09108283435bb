"""The `tags` finding kind: every taggable resource of one account and region, with its
tags, stored in the inventory like any other kind so `/tags`, the digest and the budget
ladder answer from it (refreshed with the inventory's period: describe calls only).

A stored finding is one resource (compliant or not: compliance is over the resources
themselves), priced at zero; `/tags` compares its tags with `tags.required` when it reads
them, so a changed requirement needs no rescan. One lister failing (say, load balancers
AccessDenied) keeps the others: its failure is stored in the extras beside them.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from bot.aws import describe_aws_error
from bot.findings.model import (
    PART_FAILURES,
    Finding,
    FindingKind,
    NotEligible,
    TargetContext,
    register,
)
from bot.tags.inventory import (
    LISTERS,
    PERMISSIONS,
    TaggedResource,
    address_resources,
    instance_resources,
    snapshot_resources,
    volume_resources,
)

log = logging.getLogger(__name__)
KIND = "tags"
#: Extras key: the listers that failed in this target, as [resource type, message] pairs.
FAILURES = PART_FAILURES


def as_finding(resource: TaggedResource, ctx: TargetContext) -> Finding:
    """A listed resource as a stored finding (no figure, no action)."""
    keys = ctx.config.tags
    return Finding(
        resource_id=resource.resource_id,
        kind=KIND,
        resource_type=resource.resource_type,
        region=resource.region,
        account=resource.account,
        name=resource.name,
        size="",
        age_days=None,
        tags=dict(resource.tags),
        team=resource.tags.get(keys.team, "").strip() or None,
        owner=resource.tags.get(keys.owner, "").strip() or None,
        monthly_cost=Decimal("0.00"),
        approximate=False,
        action=None,
        details=dict(resource.details),
    )


def as_resource(finding: Finding) -> TaggedResource:
    """The inverse of `as_finding`."""
    return TaggedResource(
        resource_id=finding.resource_id,
        resource_type=finding.resource_type,
        region=finding.region,
        account=finding.account,
        tags=dict(finding.tags),
        name=finding.name,
        details=dict(finding.details),
    )


#: Instance states /tags lists (terminated and shutting-down ones are gone).
_LIVE_STATES = ("pending", "running", "stopping", "stopped")


def _shared(resource_type: str, ctx: TargetContext) -> list[TaggedResource] | None:
    """Volumes, snapshots, addresses and instances from the target's shared describes (one
    pass for every kind of the refresh, bot/findings/model.py); None for the types listed
    on their own (load balancers, buckets)."""
    if resource_type == "ebs-volume":
        return volume_resources(ctx.volumes(), ctx.region, ctx.account)
    if resource_type == "ebs-snapshot":
        return snapshot_resources(ctx.snapshots(), ctx.region, ctx.account)
    if resource_type == "elastic-ip":
        return address_resources(ctx.addresses(), ctx.region, ctx.account)
    if resource_type == "ec2-instance":
        instances = [i for state in _LIVE_STATES for i in ctx.instances(state)]
        return instance_resources(instances, ctx.region, ctx.account)
    return None


@register
class TaggedResources(FindingKind):
    """Every resource `/tags` checks: instances, volumes, snapshots, addresses, load
    balancers, and (in each account's first configured region) its buckets."""

    name = KIND
    resource_type = "tagged-resource"
    title = "Taggable resources"
    action = None
    permissions = PERMISSIONS
    family = "tags"

    def scan_target(self, ctx: TargetContext) -> tuple[list[Finding], dict[str, Any]]:
        found: list[Finding] = []
        failures: list[list[str]] = []
        first_region = ctx.config.regions[0] if ctx.config.regions else ctx.region
        listers = [  # buckets are global: listed once per account, in its first region
            (t, lister)
            for t, lister in LISTERS.items()
            if t != "s3-bucket" or ctx.region == first_region
        ]
        for resource_type, lister in listers:
            try:
                listed = _shared(resource_type, ctx)
                if listed is None:
                    listed = lister(ctx.client, ctx.region, ctx.account)
                found += [as_finding(r, ctx) for r in listed]
            except Exception as exc:  # one lister failing must not sink the others
                log.warning(
                    "listing %s in %s/%s failed: %s", resource_type, ctx.account, ctx.region, exc
                )
                failures.append([resource_type, describe_aws_error(exc)])
        if failures and len(failures) == len(listers):  # nothing listed: keep the last scan
            raise RuntimeError("; ".join(f"{t}: {m}" for t, m in failures))
        found.sort(key=lambda f: (f.region, f.resource_type, f.resource_id))
        return found, {FAILURES: failures}

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return self.scan_target(ctx)[0]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        raise NotEligible("tagging is not remediated by the bot: the owner is asked instead")
