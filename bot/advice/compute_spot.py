"""Spot advice by workload tag: Auto Scaling groups and stand-alone instances.

The workload tag (`compute.workload_tag`) decides: spot workloads (batch, processing,
analytics) → all spot; mixed workloads (web) → `mixed_on_demand_pct` on-demand, the rest
spot; anything else stays on-demand, with the reason. Saving = the on-demand monthly cost x
the spot share x `spot_saving_pct`. An ASG's cost is desired capacity x its type's price;
instances launched by an ASG (tag aws:autoscaling:groupName) count under the ASG only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.advice.catalogue import InstanceCatalogue
from bot.config_advice import ComputeConfig
from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, tag_dict
from bot.findings.prices import cents

KIND_ASG = "spot-asg"
KIND_INSTANCE = "spot-instance"
KIND_ON_DEMAND = "keep-on-demand"
ACTION = "asg-spot-mix"
ASG_TAG = "aws:autoscaling:groupName"
SPOT, MIXED, ON_DEMAND = "spot", "mixed", "on-demand"
HUNDRED = Decimal("100")


def mode_for(config: ComputeConfig, workload: str) -> str:
    """spot, mixed or on-demand for a workload tag value (case-insensitive)."""
    value = workload.strip().lower()
    if value in {w.lower() for w in config.spot_workloads}:
        return SPOT
    if value in {w.lower() for w in config.mixed_workloads}:
        return MIXED
    return ON_DEMAND


def on_demand_pct(config: ComputeConfig, mode: str) -> Decimal:
    """The on-demand share above base capacity the mode asks for (0, 20 or 100)."""
    return {SPOT: Decimal("0"), MIXED: config.mixed_on_demand_pct}.get(mode, HUNDRED)


def spot_saving(config: ComputeConfig, mode: str, monthly: Decimal) -> Decimal:
    """Monthly saving: on-demand cost x spot share x spot discount, in cents."""
    spot_share = HUNDRED - on_demand_pct(config, mode)
    return cents(monthly * spot_share / HUNDRED * config.spot_saving_pct / HUNDRED)


def on_demand_reason(config: ComputeConfig, workload: str) -> str:
    """Why a workload stays on-demand."""
    spot = ", ".join(config.spot_workloads + config.mixed_workloads)
    return (
        f"{workload}: stays on-demand (stateful or latency-sensitive work should; only "
        f"{spot} workloads move to spot)"
    )


class _AsgSpotKind(FindingKind):
    """What `TargetContext.finding` reads (advice: never in the orphans KINDS registry)."""

    name = KIND_ASG
    resource_type = "auto-scaling-group"
    title = "Auto Scaling groups to move to spot"
    action = ACTION
    permissions = (
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeLaunchTemplateVersions",
        "autoscaling:DescribeLaunchConfigurations",
    )


class _InstanceSpotKind(FindingKind):
    name = KIND_INSTANCE
    resource_type = "ec2-instance"
    title = "Instances to relaunch on spot"
    action = ""  # advisory: no in-place change
    permissions = ("ec2:DescribeInstances",)


class _AsgOnDemandKind(_AsgSpotKind):
    name = KIND_ON_DEMAND
    title = "Kept on-demand"
    action = ""


class _InstanceOnDemandKind(_InstanceSpotKind):
    name = KIND_ON_DEMAND
    title = "Kept on-demand"


ASG_KIND, INSTANCE_KIND = _AsgSpotKind(), _InstanceSpotKind()
ASG_ON_DEMAND, INSTANCE_ON_DEMAND = _AsgOnDemandKind(), _InstanceOnDemandKind()


@dataclass
class SpotScan:
    """Spot candidates, what stays on-demand, and (team of) resources with no workload tag."""

    findings: list[Finding] = field(default_factory=list)
    on_demand: list[Finding] = field(default_factory=list)
    untagged: list[tuple[str, str | None]] = field(default_factory=list)


def uses_spot(group: dict[str, Any]) -> bool:
    """Whether the group already runs a spot mix (on-demand share above base < 100 %)."""
    policy = group.get("MixedInstancesPolicy")
    if not policy:
        return False
    share = policy.get("InstancesDistribution", {}).get("OnDemandPercentageAboveBaseCapacity")
    return share is not None and int(share) < 100


def template_spec(group: dict[str, Any]) -> dict[str, str] | None:
    """The group's launch template (id, else name; AWS takes one, not both, and version)."""
    policy = group.get("MixedInstancesPolicy") or {}
    spec = group.get("LaunchTemplate") or policy.get("LaunchTemplate", {}).get(
        "LaunchTemplateSpecification"
    )
    if not spec:
        return None
    key = "LaunchTemplateId" if spec.get("LaunchTemplateId") else "LaunchTemplateName"
    return {key: str(spec[key]), "Version": str(spec.get("Version") or "$Default")}


def asg_instance_type(ctx: TargetContext, group: dict[str, Any]) -> str | None:
    """The type the group launches: overrides, its launch template or launch configuration."""
    policy = group.get("MixedInstancesPolicy") or {}
    overrides = policy.get("LaunchTemplate", {}).get("Overrides") or []
    if overrides and overrides[0].get("InstanceType"):
        return str(overrides[0]["InstanceType"])
    spec = template_spec(group)
    if spec is not None:
        ident = {k: v for k, v in spec.items() if k != "Version"}
        versions = ctx.client("ec2").describe_launch_template_versions(
            **ident, Versions=[spec["Version"]]
        )["LaunchTemplateVersions"]
        kind = versions[0].get("LaunchTemplateData", {}).get("InstanceType") if versions else None
        return str(kind) if kind else None
    name = group.get("LaunchConfigurationName")
    if name:
        configs = ctx.client("autoscaling").describe_launch_configurations(
            LaunchConfigurationNames=[name]
        )["LaunchConfigurations"]
        return str(configs[0]["InstanceType"]) if configs else None
    return None


def _advice(
    ctx: TargetContext,
    catalogue: InstanceCatalogue,
    *,
    spot_kind: FindingKind,
    keep_kind: FindingKind,
    resource_id: str,
    tags: dict[str, str],
    instance_type: str,
    count: int,
    extra: dict[str, Any],
) -> Finding | None:
    config = ctx.config.compute
    workload = tags.get(config.workload_tag, "").strip()
    if not workload:
        return None
    mode = mode_for(config, workload)
    price = catalogue.monthly(ctx.region, instance_type)
    monthly = cents(price.amount * count) if price else Decimal("0.00")
    size = f"{count} x {instance_type}" if count != 1 else instance_type
    details = {
        **extra,
        "workload": workload,
        "mode": mode,
        "instance_type": instance_type,
        "count": count,
        "current_monthly": str(monthly),
        "on_demand_pct": str(on_demand_pct(config, mode)),
        "priced": price is not None,
    }
    common: dict[str, Any] = {
        "resource_id": resource_id,
        "tags": tags,
        "size": size,
        "age_days": None,
        "details": details,
        "approximate": bool(price and price.approximate),
    }
    if mode == ON_DEMAND:
        kept = ctx.finding(
            keep_kind,
            monthly_cost=Decimal("0.00"),
            reason=on_demand_reason(config, workload),
            **common,
        )
        kept.action = None
        return kept
    if price is None:
        reason = f"{workload}: {instance_type} is not in the price catalogue, so no estimate"
    elif mode == SPOT:
        reason = (
            f"{workload}: interruption-tolerant → all spot (about "
            f"{config.spot_saving_pct:g} % below on-demand)"
        )
    else:
        reason = (
            f"{workload}: mixed → {config.mixed_on_demand_pct:g} % on-demand, "
            f"{HUNDRED - config.mixed_on_demand_pct:g} % spot"
        )
    finding = ctx.finding(
        spot_kind, monthly_cost=spot_saving(config, mode, monthly), reason=reason, **common
    )
    finding.action = finding.action or None  # advisory kinds offer no action
    return finding


def asg_advice(
    ctx: TargetContext, group: dict[str, Any], catalogue: InstanceCatalogue
) -> Finding | None:
    """Advice for one ASG not already on spot (None when it has no workload tag)."""
    tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", [])}
    instance_type = asg_instance_type(ctx, group) or "unknown"
    spec = template_spec(group)
    finding = _advice(
        ctx,
        catalogue,
        spot_kind=ASG_KIND,
        keep_kind=ASG_ON_DEMAND,
        resource_id=group["AutoScalingGroupName"],
        tags=tags,
        instance_type=instance_type,
        count=int(group.get("DesiredCapacity", 0)),
        extra={
            "launch_template": spec,
            "launch_configuration": group.get("LaunchConfigurationName"),
        },
    )
    if finding is not None and finding.kind == KIND_ASG and spec is None:
        finding.action = None  # a MixedInstancesPolicy needs a launch template
        finding.reason += " · uses a launch configuration: move it to a launch template first"
    return finding


def scan_spot(ctx: TargetContext, catalogue: InstanceCatalogue) -> SpotScan:
    """Spot advice for the context's ASGs and stand-alone running instances."""
    found = SpotScan()
    team_tag = ctx.config.tags.team
    groups = ctx.paginate("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups")
    for group in groups:
        if uses_spot(group):
            continue
        finding = asg_advice(ctx, group, catalogue)
        _sort_into(
            found,
            finding,
            group["AutoScalingGroupName"],
            {t["Key"]: t.get("Value", "") for t in group.get("Tags", [])}.get(team_tag),
        )
    for instance in ctx.instances("running"):
        tags = tag_dict(instance.get("Tags"))
        if ASG_TAG in tags or instance.get("InstanceLifecycle") == "spot":
            continue
        finding = _advice(
            ctx,
            catalogue,
            spot_kind=INSTANCE_KIND,
            keep_kind=INSTANCE_ON_DEMAND,
            resource_id=instance["InstanceId"],
            tags=tags,
            instance_type=instance.get("InstanceType", "unknown"),
            count=1,
            extra={},
        )
        if finding is not None and finding.kind == KIND_INSTANCE:
            finding.reason += " · advisory: relaunch it as a spot instance (or put it in an ASG)"
        _sort_into(found, finding, instance["InstanceId"], tags.get(team_tag))
    return found


def _sort_into(found: SpotScan, finding: Finding | None, resource: str, team: str | None) -> None:
    if finding is None:
        found.untagged.append((resource, team))
    elif finding.kind == KIND_ON_DEMAND:
        found.on_demand.append(finding)
    else:
        found.findings.append(finding)


def recheck_asg(ctx: TargetContext, name: str, catalogue: InstanceCatalogue) -> Finding:
    """The ASG's spot advice as it stands now; NotEligible when there is none any more."""
    groups = ctx.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    if not groups:
        raise NotEligible(f"Auto Scaling group {name} no longer exists")
    if uses_spot(groups[0]):
        raise NotEligible(f"Auto Scaling group {name} already uses a spot mix")
    finding = asg_advice(ctx, groups[0], catalogue)
    if finding is None or finding.kind != KIND_ASG:
        raise NotEligible(f"Auto Scaling group {name} is not tagged as a spot workload now")
    return finding
