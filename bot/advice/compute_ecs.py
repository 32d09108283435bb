"""ECS capacity and Fargate cost advice.

Clusters: when the peak (max of hourly averages over `rightsizing.lookback_days`) of both
CPUReservation and MemoryReservation is under `ecs_reservation_pct`, the cluster needs
fewer nodes: target = max(ecs_min_nodes, ceil(nodes x peak / 80)), so that the same
reservations would peak at 80 % or less of the smaller cluster. Saving = the removed nodes'
on-demand prices (the cheapest nodes, to stay conservative).

Fargate advice lives in `compute_fargate` (its names are re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.advice.catalogue import InstanceCatalogue
from bot.advice.compute_fargate import (  # noqa: F401  (re-exported for the kind)
    FARGATE_KIND,
    HUNDRED,
    KIND_FARGATE,
    ec2_equivalent,
    ecs_tags,
    fargate_recommended,
    fargate_services,
    money,
)
from bot.advice.compute_spot import ASG_TAG
from bot.advice.metrics import MetricQuery, Utilization, fetch_hourly, summarize
from bot.config_advice import ComputeConfig
from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, tag_dict
from bot.findings.prices import cents

KIND_ECS = "ecs-overprovisioned"
KIND_NO_DATA = "ecs-no-data"
ACTION_ECS = "ecs-set-capacity"
#: The reservation peak the smaller cluster is sized for.
TARGET_PEAK_PCT = Decimal("80")


def target_nodes(nodes: int, peak_pct: Decimal, min_nodes: int) -> int:
    """Nodes enough for the reservation peak to stay ≤ 80 %, never fewer than min_nodes."""
    return max(min_nodes, math.ceil(nodes * peak_pct / TARGET_PEAK_PCT))


def under_reserved(config: ComputeConfig, cpu_peak: Decimal, memory_peak: Decimal) -> bool:
    """Both reservation peaks strictly under the threshold."""
    return cpu_peak < config.ecs_reservation_pct and memory_peak < config.ecs_reservation_pct


class _EcsKind(FindingKind):
    """What `TargetContext.finding` reads (advice: never in the orphans KINDS registry)."""

    name = KIND_ECS
    resource_type = "ecs-cluster"
    title = "ECS clusters with more nodes than they reserve"
    action = ACTION_ECS
    permissions = (
        "ecs:ListClusters",
        "ecs:DescribeClusters",
        "ecs:ListContainerInstances",
        "ecs:DescribeContainerInstances",
        "cloudwatch:GetMetricData",
    )


class _NoDataKind(_EcsKind):
    name = KIND_NO_DATA
    action = ""


ECS_KIND, NO_DATA_KIND = _EcsKind(), _NoDataKind()


@dataclass
class Nodes:
    """A cluster's active container instances: EC2 ids, types, their ASG (if one), tags."""

    instance_ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    asg: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class EcsScan:
    """Cluster and Fargate findings, clusters without data, and services compared but kept."""

    findings: list[Finding] = field(default_factory=list)
    no_data: list[Finding] = field(default_factory=list)
    notes: list[tuple[str | None, str]] = field(default_factory=list)  # (team, line)


def clusters(ctx: TargetContext, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Described clusters (with tags): all of them, or the named ones."""
    arns = names if names is not None else ctx.paginate("ecs", "list_clusters", "clusterArns")
    ecs = ctx.client("ecs")
    return [
        c
        for first in range(0, len(arns), 100)
        for c in ecs.describe_clusters(clusters=arns[first : first + 100], include=["TAGS"])[
            "clusters"
        ]
        if c.get("status", "ACTIVE") == "ACTIVE"
    ]


def cluster_nodes(ctx: TargetContext, cluster_arn: str) -> Nodes:
    """The cluster's active container instances and their EC2 types."""
    ecs = ctx.client("ecs")
    arns = ctx.paginate(
        "ecs", "list_container_instances", "containerInstanceArns", cluster=cluster_arn
    )
    described = [
        c
        for first in range(0, len(arns), 100)
        for c in ecs.describe_container_instances(
            cluster=cluster_arn, containerInstances=arns[first : first + 100]
        )["containerInstances"]
    ]
    ids = [
        c["ec2InstanceId"]
        for c in described
        if c.get("ec2InstanceId") and c.get("status", "ACTIVE") == "ACTIVE"
    ]
    if not ids:
        return Nodes()
    reservations = ctx.paginate("ec2", "describe_instances", "Reservations", InstanceIds=ids)
    instances = [i for r in reservations for i in r.get("Instances", [])]
    all_tags = [tag_dict(i.get("Tags")) for i in instances]
    groups = {t.get(ASG_TAG) for t in all_tags}
    asg = next(iter(groups)) if len(groups) == 1 else None
    shared = {
        k: v for k, v in (all_tags[0] if all_tags else {}).items() if not k.startswith("aws:")
    }
    return Nodes(
        [i["InstanceId"] for i in instances],
        [str(i.get("InstanceType", "unknown")) for i in instances],
        asg,
        shared,
    )


def reservation_peaks(
    ctx: TargetContext, names: list[str]
) -> dict[str, tuple[Utilization | None, Utilization | None]]:
    """(CPU, memory) reservation summaries per cluster name, in one batched fetch."""
    queries = [
        MetricQuery(f"{metric}|{name}", "AWS/ECS", metric, {"ClusterName": name})
        for name in names
        for metric in ("CPUReservation", "MemoryReservation")
    ]
    if not queries:
        return {}
    days = ctx.config.rightsizing.lookback_days
    values = fetch_hourly(
        ctx.client("cloudwatch"), queries, start=ctx.now - timedelta(days=days), end=ctx.now
    )
    return {
        name: (
            summarize(values[f"CPUReservation|{name}"]),
            summarize(values[f"MemoryReservation|{name}"]),
        )
        for name in names
    }


def _managed_scaling(ctx: TargetContext, cluster: dict[str, Any]) -> bool:
    names = cluster.get("capacityProviders") or []
    names = [n for n in names if n not in ("FARGATE", "FARGATE_SPOT")]
    if not names:
        return False
    providers = (
        ctx.client("ecs")
        .describe_capacity_providers(capacityProviders=names)
        .get("capacityProviders", [])
    )
    return any(
        p.get("autoScalingGroupProvider", {}).get("managedScaling", {}).get("status") == "ENABLED"
        for p in providers
    )


def _asg(ctx: TargetContext, name: str) -> dict[str, Any] | None:
    groups = ctx.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    return groups[0] if groups else None


def cluster_advice(
    ctx: TargetContext,
    cluster: dict[str, Any],
    nodes: Nodes,
    peaks: tuple[Utilization | None, Utilization | None],
    catalogue: InstanceCatalogue,
) -> Finding | None:
    """The capacity advice for one cluster: a finding, a no-data finding, or None."""
    config = ctx.config.compute
    name = str(cluster["clusterName"])
    tags = {**nodes.tags, **ecs_tags(cluster.get("tags"))}
    tags["Name"] = name
    count = len(nodes.instance_ids)
    cpu, memory = peaks
    days = ctx.config.rightsizing.lookback_days
    common: dict[str, Any] = {
        "resource_id": name,
        "tags": tags,
        "name": name,
        "size": f"{count} nodes",
        "age_days": None,
    }
    if cpu is None or memory is None:
        empty = ctx.finding(
            NO_DATA_KIND,
            monthly_cost=Decimal("0.00"),
            approximate=False,
            reason=f"no CPUReservation/MemoryReservation data in the last {days} days",
            details={"nodes": count},
            **common,
        )
        empty.action = None
        return empty
    cpu_peak = Decimal(str(round(cpu.maximum, 1)))
    memory_peak = Decimal(str(round(memory.maximum, 1)))
    target = target_nodes(count, max(cpu_peak, memory_peak), config.ecs_min_nodes)
    if not under_reserved(config, cpu_peak, memory_peak) or target >= count:
        return None
    prices = [catalogue.monthly(ctx.region, t) for t in nodes.types]
    known = sorted(p.amount for p in prices if p is not None)
    saving = cents(sum(known[: count - target], Decimal("0")))
    group = _asg(ctx, nodes.asg) if nodes.asg else None
    managed = _managed_scaling(ctx, cluster)
    reason = (
        f"peak reservation CPU {cpu_peak} %, memory {memory_peak} % over {days} days "
        f"(both under {config.ecs_reservation_pct:g} %) → {target} nodes would peak at "
        f"≤ {TARGET_PEAK_PCT} %"
    )
    if group is None:
        reason += " · nodes not in one Auto Scaling group: drain and remove them by hand"
    elif managed:
        reason += " · ECS managed scaling sets its capacity: lower the target capacity instead"
    details = {
        "cluster_arn": cluster.get("clusterArn"),
        "nodes": count,
        "target": target,
        "cpu_peak": str(cpu_peak),
        "memory_peak": str(memory_peak),
        "cpu_average": round(cpu.average, 1),
        "memory_average": round(memory.average, 1),
        "hours": min(cpu.hours, memory.hours),
        "instance_types": sorted(set(nodes.types)),
        "asg": nodes.asg if group else None,
        "asg_desired": group.get("DesiredCapacity") if group else None,
        "asg_min": group.get("MinSize") if group else None,
    }
    finding = ctx.finding(
        ECS_KIND,
        monthly_cost=saving,
        reason=reason,
        details=details,
        approximate=any(p is None or p.approximate for p in prices),
        **common,
    )
    finding.size = f"{count} → {target} nodes ({', '.join(sorted(set(nodes.types)))})"
    if group is None or managed:
        finding.action = None
    return finding


def scan_ecs(ctx: TargetContext, catalogue: InstanceCatalogue) -> EcsScan:
    """Cluster capacity (one CloudWatch fetch for the region) and Fargate advice."""
    found = EcsScan()
    described = clusters(ctx)
    nodes = {c["clusterName"]: cluster_nodes(ctx, c["clusterArn"]) for c in described}
    min_nodes = ctx.config.compute.ecs_min_nodes
    candidates = [
        n for n, found_nodes in nodes.items() if len(found_nodes.instance_ids) > min_nodes
    ]
    peaks = reservation_peaks(ctx, candidates)
    for cluster in described:
        name = cluster["clusterName"]
        if name in peaks:
            finding = cluster_advice(ctx, cluster, nodes[name], peaks[name], catalogue)
            if finding is not None:
                (found.no_data if finding.kind == KIND_NO_DATA else found.findings).append(finding)
        fargate_services(ctx, cluster, catalogue, found)
    return found


def recheck_cluster(ctx: TargetContext, name: str, catalogue: InstanceCatalogue) -> Finding:
    """The cluster's capacity advice as it stands now; NotEligible when there is none."""
    described = clusters(ctx, [name])
    if not described:
        raise NotEligible(f"ECS cluster {name} no longer exists")
    nodes = cluster_nodes(ctx, described[0]["clusterArn"])
    if len(nodes.instance_ids) <= ctx.config.compute.ecs_min_nodes:
        raise NotEligible(f"ECS cluster {name} has {len(nodes.instance_ids)} nodes now")
    finding = cluster_advice(
        ctx, described[0], nodes, reservation_peaks(ctx, [name])[name], catalogue
    )
    if finding is None or finding.kind != KIND_ECS:
        raise NotEligible(f"ECS cluster {name} is no longer over-provisioned (or has no data)")
    return finding
