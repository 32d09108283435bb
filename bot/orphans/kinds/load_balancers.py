"""Load balancers with nothing behind them: ALB/NLB whose target groups have no registered
targets, and Classic load balancers with no instances. They bill by the hour regardless."""

from __future__ import annotations

from typing import Any

from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, register, tag_dict

TAGS_BATCH = 20  # DescribeTags accepts at most 20 balancers per call


def _chunks(items: list[str], size: int = TAGS_BATCH) -> list[list[str]]:
    return [items[n : n + size] for n in range(0, len(items), size)]


@register
class IdleLoadBalancers(FindingKind):
    """ALB/NLB/GWLB with no registered targets, and Classic load balancers with no instances."""

    name = "load-balancer"
    resource_type = "load-balancer"
    title = "Load balancers with nothing behind them"
    action = "delete-load-balancer"
    permissions = (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
    )

    # ---------------------------------------------------------- ALB / NLB
    def _targets(self, ctx: TargetContext, arn: str) -> int:
        elbv2 = ctx.client("elbv2")
        groups = ctx.paginate(
            "elbv2", "describe_target_groups", "TargetGroups", LoadBalancerArn=arn
        )
        return sum(
            len(
                elbv2.describe_target_health(TargetGroupArn=g["TargetGroupArn"])[
                    "TargetHealthDescriptions"
                ]
            )
            for g in groups
        )

    def _v2_tags(self, ctx: TargetContext, arns: list[str]) -> dict[str, dict[str, str]]:
        tags: dict[str, dict[str, str]] = {}
        for batch in _chunks(arns):
            for item in ctx.client("elbv2").describe_tags(ResourceArns=batch)["TagDescriptions"]:
                tags[item["ResourceArn"]] = tag_dict(item.get("Tags"))
        return tags

    def _v2_finding(
        self, ctx: TargetContext, balancer: dict[str, Any], tags: dict[str, str]
    ) -> Finding:
        lb_type = str(balancer.get("Type", "application"))
        estimate = ctx.prices.load_balancer(ctx.region, lb_type)
        return ctx.finding(
            self,
            resource_id=balancer["LoadBalancerArn"],
            tags=tags,
            name=balancer.get("LoadBalancerName", ""),
            size=f"{lb_type} load balancer",
            age_days=ctx.age_days(balancer.get("CreatedTime")),
            monthly_cost=estimate.monthly,
            approximate=estimate.approximate,
            reason="no registered targets in any target group",
            details={"type": lb_type, "dns_name": balancer.get("DNSName")},
        )

    # -------------------------------------------------------------- Classic
    def _classic_tags(self, ctx: TargetContext, names: list[str]) -> dict[str, dict[str, str]]:
        tags: dict[str, dict[str, str]] = {}
        for batch in _chunks(names):
            answer = ctx.client("elb").describe_tags(LoadBalancerNames=batch)
            for item in answer["TagDescriptions"]:
                tags[item["LoadBalancerName"]] = tag_dict(item.get("Tags"))
        return tags

    def _classic_finding(
        self, ctx: TargetContext, balancer: dict[str, Any], tags: dict[str, str]
    ) -> Finding:
        estimate = ctx.prices.load_balancer(ctx.region, "classic")
        return ctx.finding(
            self,
            resource_id=balancer["LoadBalancerName"],
            tags=tags,
            name=balancer["LoadBalancerName"],
            size="classic load balancer",
            age_days=ctx.age_days(balancer.get("CreatedTime")),
            monthly_cost=estimate.monthly,
            approximate=estimate.approximate,
            reason="no registered instances",
            details={"type": "classic", "dns_name": balancer.get("DNSName")},
        )

    # ----------------------------------------------------------- interface
    def scan(self, ctx: TargetContext) -> list[Finding]:
        balancers = ctx.paginate("elbv2", "describe_load_balancers", "LoadBalancers")
        idle = [b for b in balancers if self._targets(ctx, b["LoadBalancerArn"]) == 0]
        v2_tags = self._v2_tags(ctx, [b["LoadBalancerArn"] for b in idle])
        findings = [self._v2_finding(ctx, b, v2_tags.get(b["LoadBalancerArn"], {})) for b in idle]
        classic = ctx.paginate("elb", "describe_load_balancers", "LoadBalancerDescriptions")
        empty = [b for b in classic if not b.get("Instances")]
        classic_tags = self._classic_tags(ctx, [b["LoadBalancerName"] for b in empty])
        findings += [
            self._classic_finding(ctx, b, classic_tags.get(b["LoadBalancerName"], {}))
            for b in empty
        ]
        return findings

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        if resource_id.startswith("arn:"):
            try:
                found = ctx.client("elbv2").describe_load_balancers(LoadBalancerArns=[resource_id])[
                    "LoadBalancers"
                ]
            except ctx.client("elbv2").exceptions.LoadBalancerNotFoundException:
                found = []
            if not found:
                raise NotEligible(f"load balancer {resource_id} no longer exists")
            targets = self._targets(ctx, resource_id)
            if targets:
                raise NotEligible(
                    f"load balancer {found[0]['LoadBalancerName']} now has {targets} target(s)"
                )
            tags = self._v2_tags(ctx, [resource_id]).get(resource_id, {})
            return self._v2_finding(ctx, found[0], tags)
        elb = ctx.client("elb")
        try:
            found = elb.describe_load_balancers(LoadBalancerNames=[resource_id])[
                "LoadBalancerDescriptions"
            ]
        except elb.exceptions.AccessPointNotFoundException:
            found = []
        if not found:
            raise NotEligible(f"load balancer {resource_id} no longer exists")
        if found[0].get("Instances"):
            raise NotEligible(
                f"load balancer {resource_id} now has {len(found[0]['Instances'])} instance(s)"
            )
        tags = self._classic_tags(ctx, [resource_id]).get(resource_id, {})
        return self._classic_finding(ctx, found[0], tags)
