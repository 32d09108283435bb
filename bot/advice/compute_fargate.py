"""Fargate cost advice: a service costing more than `fargate_min_monthly` (desiredCount x
the task size's Fargate price) whose EC2 equivalent costs less than `fargate_ec2_ratio_pct`
of it. The EC2 equivalent packs all tasks' vCPU and memory on one type of `ec2_families`:
count = max(ceil(total vCPU / type vCPU), ceil(total GiB / type GiB)), cheapest type wins.
It ignores per-task packing losses and the ECS agent's overhead, so it is a lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from bot.advice.catalogue import InstanceCatalogue, InstanceType
from bot.config_advice import ComputeConfig
from bot.findings.model import Finding, FindingKind, TargetContext
from bot.findings.prices import cents

KIND_FARGATE = "fargate-to-ec2"
HUNDRED = Decimal("100")


class _FargateKind(FindingKind):
    name = KIND_FARGATE
    resource_type = "ecs-service"
    title = "Fargate services cheaper on EC2"
    action = ""  # advisory: a deploy change
    permissions = ("ecs:ListServices", "ecs:DescribeServices", "ecs:DescribeTaskDefinition")


FARGATE_KIND = _FargateKind()


class FargateFound(Protocol):
    """Where Fargate advice lands (the ECS scan's findings and notes)."""

    findings: list[Finding]
    notes: list[tuple[str | None, str]]


def money(amount: Decimal) -> str:
    """`$1,234.50` (kept local so advice needs nothing from rendering)."""
    return f"${amount:,.2f}"


def ecs_tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """ECS `[{"key":..,"value":..}]` tags as a dict."""
    return {t["key"]: t.get("value", "") for t in tags or []}


@dataclass(frozen=True)
class Equivalent:
    """The cheapest single-type EC2 fleet holding a service's tasks."""

    instance_type: InstanceType
    count: int
    monthly: Decimal
    approximate: bool


def ec2_equivalent(
    catalogue: InstanceCatalogue,
    region: str,
    families: list[str],
    *,
    vcpu: Decimal,
    memory_gib: Decimal,
) -> Equivalent | None:
    """count = max(ceil(vCPU / type vCPU), ceil(GiB / type GiB)) of the cheapest type."""
    best: Equivalent | None = None
    for kind in catalogue.types_in(families):
        price = catalogue.monthly(region, kind.name)
        if price is None:
            continue
        count = max(math.ceil(vcpu / kind.vcpu), math.ceil(memory_gib / kind.memory_gib))
        option = Equivalent(kind, count, cents(price.amount * count), price.approximate)
        if best is None or (option.monthly, option.count) < (best.monthly, best.count):
            best = option
    return best


def fargate_recommended(config: ComputeConfig, fargate: Decimal, ec2: Decimal) -> bool:
    """Over the minimum cost, and EC2 strictly under the ratio."""
    return fargate > config.fargate_min_monthly and ec2 * HUNDRED < (
        fargate * config.fargate_ec2_ratio_pct
    )


def _is_fargate(service: dict[str, Any]) -> bool:
    strategy = service.get("capacityProviderStrategy") or []
    return service.get("launchType") == "FARGATE" or (
        bool(strategy) and all(s.get("capacityProvider") == "FARGATE" for s in strategy)
    )


def _task_definition(ctx: TargetContext, arn: str) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        return dict(
            ctx.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
        )

    return ctx.cached(f"taskdef:{arn}", load)


def fargate_services(
    ctx: TargetContext, cluster: dict[str, Any], catalogue: InstanceCatalogue, found: FargateFound
) -> None:
    """Compare the cluster's Fargate services with EC2; add findings and notes to `found`."""
    config = ctx.config.compute
    ecs = ctx.client("ecs")
    arn = cluster["clusterArn"]
    arns = ctx.paginate("ecs", "list_services", "serviceArns", cluster=arn)
    services = [
        s
        for first in range(0, len(arns), 10)
        for s in ecs.describe_services(
            cluster=arn, services=arns[first : first + 10], include=["TAGS"]
        )["services"]
    ]
    for service in services:
        desired = int(service.get("desiredCount", 0))
        if not _is_fargate(service) or desired <= 0:
            continue
        task = _task_definition(ctx, str(service["taskDefinition"]))
        vcpu = Decimal(str(task.get("cpu") or 0)) / 1024
        gib = Decimal(str(task.get("memory") or 0)) / 1024
        if vcpu <= 0 or gib <= 0:
            continue
        price = catalogue.fargate_monthly(ctx.region, vcpu=vcpu, memory_gib=gib)
        fargate = cents(price.amount * desired)
        if fargate <= config.fargate_min_monthly:
            continue
        ec2 = ec2_equivalent(
            catalogue,
            ctx.region,
            config.ec2_families,
            vcpu=vcpu * desired,
            memory_gib=gib * desired,
        )
        if ec2 is None:
            continue
        name = str(service["serviceName"])
        tags = {**ecs_tags(cluster.get("tags")), **ecs_tags(service.get("tags"))}
        ratio = (ec2.monthly * HUNDRED / fargate).quantize(Decimal("1"))
        compared = (
            f"Fargate {money(fargate)}/month; on EC2 {ec2.count} x "
            f"{ec2.instance_type.name} = {money(ec2.monthly)} ({ratio} %)"
        )
        if not fargate_recommended(config, fargate, ec2.monthly):
            found.notes.append(
                (
                    tags.get(ctx.config.tags.team),
                    (
                        f"`{name}` ({ctx.region}): {compared}, not under "
                        f"{config.fargate_ec2_ratio_pct:g} %: stays on Fargate"
                    ),
                )
            )
            continue
        finding = ctx.finding(
            FARGATE_KIND,
            resource_id=service["serviceArn"],
            tags=tags,
            name=name,
            size=f"{desired} x {vcpu:g} vCPU / {gib:g} GiB",
            age_days=None,
            monthly_cost=fargate - ec2.monthly,
            approximate=price.approximate or ec2.approximate,
            reason=f"{compared} · advisory: moving is a deploy change (capacity provider)",
            details={
                "cluster": cluster["clusterName"],
                "tasks": desired,
                "task_vcpu": str(vcpu),
                "task_gib": str(gib),
                "fargate_monthly": str(fargate),
                "ec2_monthly": str(ec2.monthly),
                "ec2_type": ec2.instance_type.name,
                "ec2_count": ec2.count,
                "ratio_pct": str(ratio),
            },
        )
        finding.action = None
        found.findings.append(finding)
