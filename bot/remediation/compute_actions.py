"""Registered actions proposed by compute advice (bot.advice.compute): an Auto Scaling group
to a spot mix, and an ECS cluster's Auto Scaling group to fewer nodes. Each re-checks its
target right before it runs and can be undone within the restore window."""

from __future__ import annotations

from typing import Any

from bot.advice import compute_ecs as ecs
from bot.advice import compute_spot as spot
from bot.advice.catalogue import default_catalogue
from bot.orphans.model import Finding, NotEligible, TargetContext
from bot.remediation.actions import CleanupAction, Outcome, Outcomes, action
from bot.remediation.steps import Step, StepRun

#: How spot capacity is chosen among the pools of the override types.
SPOT_STRATEGY = "price-capacity-optimized"
#: Non-burstable families whose same-shape types widen the spot pools.
SPOT_FAMILIES = ("m5", "m6i", "c5", "c6i", "r5", "r6i")


def spot_overrides(instance_type: str) -> list[dict[str, str]]:
    """The type and same-shape types of other non-burstable families (more spot pools)."""
    catalogue = default_catalogue()
    own = catalogue.instance_type(instance_type)
    if own is None:
        return [{"InstanceType": instance_type}]
    alike = [
        t.name
        for t in catalogue.types_in(list(SPOT_FAMILIES))
        if t.vcpu == own.vcpu and t.memory_gib == own.memory_gib and t.name != own.name
    ]
    return [{"InstanceType": name} for name in [own.name, *alike]]


def _group(ctx: TargetContext, name: str) -> dict[str, Any]:
    groups = ctx.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    if not groups:
        raise NotEligible(f"Auto Scaling group {name} no longer exists")
    return dict(groups[0])


def _spot_mix(run: StepRun) -> dict[str, Any]:
    finding = run.finding
    spec = finding.details.get("launch_template")
    if not spec:
        raise NotEligible("the group uses a launch configuration, not a launch template")
    share = int(float(finding.details.get("on_demand_pct", "0")))
    run.ctx.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=finding.resource_id,
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": spec,
                "Overrides": spot_overrides(str(finding.details.get("instance_type"))),
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": 0,
                "OnDemandPercentageAboveBaseCapacity": share,
                "SpotAllocationStrategy": SPOT_STRATEGY,
            },
        },
    )
    return {"on_demand_pct": share}


def _has_spot_mix(run: StepRun) -> dict[str, Any] | None:
    share = int(float(run.finding.details.get("on_demand_pct", "0")))
    policy = _group(run.ctx, run.finding.resource_id).get("MixedInstancesPolicy") or {}
    current = policy.get("InstancesDistribution", {}).get("OnDemandPercentageAboveBaseCapacity")
    return {"on_demand_pct": share} if current is not None and int(current) == share else None


def _capacity_before(run: StepRun) -> dict[str, Any]:
    """The group's capacity before the change (recorded with the intent: the undo needs it)."""
    name, target = str(run.finding.details["asg"]), int(run.finding.details["target"])
    group = _group(run.ctx, name)
    desired, minimum = int(group["DesiredCapacity"]), int(group["MinSize"])
    if desired <= target:
        raise NotEligible(f"`{name}` already runs {desired} nodes")
    return {"desired": desired, "min": minimum}


def _lower_capacity(run: StepRun) -> dict[str, Any]:
    name, target = str(run.finding.details["asg"]), int(run.finding.details["target"])
    minimum = int(run.prepared["min"])
    run.ctx.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=name, DesiredCapacity=target, MinSize=min(minimum, target)
    )
    return {"target": target}


def _capacity_lowered(run: StepRun) -> dict[str, Any] | None:
    name, target = str(run.finding.details["asg"]), int(run.finding.details["target"])
    group = _group(run.ctx, name)
    return {"target": target} if int(group["DesiredCapacity"]) == target else None


@action
class AsgSpotMix(CleanupAction):
    """Give an Auto Scaling group a MixedInstancesPolicy: all spot, or 20 % on-demand (web).
    Running instances are replaced as the group scales or refreshes, not at once."""

    name = spot.ACTION
    permissions = (
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeLaunchTemplateVersions",
        "autoscaling:UpdateAutoScalingGroup",
        "ec2:RunInstances",
    )
    undo_label = "Back to on-demand"

    def describe(self, finding: Finding) -> str:
        share = finding.details.get("on_demand_pct", "0")
        return (
            f"Move Auto Scaling group `{finding.resource_id}` ({finding.size}, "
            f"{finding.details.get('workload')}) to spot: {share} % on-demand above base "
            "capacity, the rest spot (new instances follow as the group scales)"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        return spot.recheck_asg(ctx, finding.resource_id, default_catalogue())

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("update", "UpdateAutoScalingGroup", _spot_mix, _has_spot_mix)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        share = int(float(finding.details.get("on_demand_pct", "0")))
        return Outcome(
            f"Auto Scaling group `{finding.resource_id}` now launches {100 - share} % spot "
            f"({share} % on-demand above base); instances are replaced as it scales",
            restore={
                "asg": finding.resource_id,
                "launch_template": finding.details.get("launch_template"),
            },
        )

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        name = restore["asg"]
        ctx.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=name,
            MixedInstancesPolicy={
                "LaunchTemplate": {"LaunchTemplateSpecification": restore["launch_template"]},
                "InstancesDistribution": {
                    "OnDemandBaseCapacity": 0,
                    "OnDemandPercentageAboveBaseCapacity": 100,
                },
            },
        )
        return f"Auto Scaling group `{name}` set back to 100 % on-demand"


@action
class EcsSetCapacity(CleanupAction):
    """Lower the desired capacity of the Auto Scaling group behind an ECS cluster to the
    target node count (and its minimum, if that was higher)."""

    name = ecs.ACTION_ECS
    permissions = (
        "ecs:DescribeClusters",
        "ecs:ListContainerInstances",
        "ecs:DescribeContainerInstances",
        "cloudwatch:GetMetricData",
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:UpdateAutoScalingGroup",
    )
    undo_label = "Restore capacity"

    def describe(self, finding: Finding) -> str:
        details = finding.details
        return (
            f"Set Auto Scaling group `{details.get('asg')}` of ECS cluster "
            f"`{finding.resource_id}` to {details.get('target')} nodes (now "
            f"{details.get('asg_desired')}); ECS reschedules the tasks of removed nodes"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        fresh = ecs.recheck_cluster(ctx, finding.resource_id, default_catalogue())
        if fresh.action is None:
            raise NotEligible(fresh.reason)
        return fresh

    def steps(self, finding: Finding) -> list[Step]:
        return [
            Step(
                "update",
                "UpdateAutoScalingGroup",
                _lower_capacity,
                _capacity_lowered,
                prepare=_capacity_before,
            )
        ]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        done = outcomes["update"]
        name, target = str(finding.details["asg"]), int(finding.details["target"])
        desired, minimum = int(done["desired"]), int(done["min"])
        lowered = f", minimum {minimum} → {target}" if minimum > target else ""
        return Outcome(
            f"Auto Scaling group `{name}` of cluster `{finding.resource_id}`: desired "
            f"capacity {desired} → {target}{lowered}",
            restore={"asg": name, "desired": desired, "min": minimum},
        )

    def undo(self, ctx: TargetContext, restore: dict[str, Any], *, request_id: int) -> str:
        name = restore["asg"]
        ctx.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=int(restore["min"]),
            DesiredCapacity=int(restore["desired"]),
        )
        return f"Auto Scaling group `{name}` back to {restore['desired']} nodes"
