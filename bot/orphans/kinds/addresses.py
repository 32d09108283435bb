"""Elastic IP addresses associated with nothing: every public IPv4 address bills hourly."""

from __future__ import annotations

from typing import Any

from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, register, tag_dict


@register
class UnassociatedAddresses(FindingKind):
    """Elastic IPs with no association (no instance, no network interface)."""

    name = "address"
    resource_type = "elastic-ip"
    title = "Unassociated Elastic IPs"
    action = "release-address"
    permissions = ("ec2:DescribeAddresses",)

    def _finding(self, ctx: TargetContext, address: dict[str, Any]) -> Finding:
        estimate = ctx.prices.public_ipv4(ctx.region)
        return ctx.finding(
            self,
            resource_id=address.get("AllocationId") or address["PublicIp"],
            tags=tag_dict(address.get("Tags")),
            name=address.get("PublicIp", ""),
            size="1 public IPv4",
            age_days=None,  # AWS does not say when an address was allocated
            monthly_cost=estimate.monthly,
            approximate=estimate.approximate,
            reason="not associated with any instance or interface",
            details={"public_ip": address.get("PublicIp"), "domain": address.get("Domain")},
        )

    @staticmethod
    def _free(address: dict[str, Any]) -> bool:
        return (
            not address.get("AssociationId")
            and not address.get("InstanceId")
            and not (address.get("NetworkInterfaceId"))
        )

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return [self._finding(ctx, a) for a in ctx.addresses() if self._free(a)]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        addresses = ctx.client("ec2").describe_addresses(
            Filters=[{"Name": "allocation-id", "Values": [resource_id]}]
        )["Addresses"]
        if not addresses:
            raise NotEligible(f"address {resource_id} is no longer allocated")
        address = addresses[0]
        if not self._free(address):
            target = address.get("InstanceId") or address.get("NetworkInterfaceId") or "something"
            raise NotEligible(f"address {resource_id} is now associated with {target}")
        return self._finding(ctx, address)
