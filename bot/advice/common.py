"""What every kind of advice shares: a context per selected account and region, and
opening an approval request for one recommendation after re-checking it."""

from __future__ import annotations

from bot.aws import CURRENT_ACCOUNT, Target
from bot.findings.model import TargetContext
from bot.findings.scope import ScanFilter, caller_account, target_context
from bot.services import Services


def advice_contexts(
    services: Services, scope: ScanFilter | None = None
) -> dict[Target, TargetContext]:
    """A context for every configured account and (selected) region, sharing one clock."""
    scope = scope or ScanFilter()
    targets = [
        t for t in services.aws.targets() if scope.region is None or t.region == scope.region
    ]
    if not targets:
        return {}
    moment = services.now()
    own = (
        caller_account(services.aws, targets[0].region)
        if any(t.account == CURRENT_ACCOUNT for t in targets)
        else CURRENT_ACCOUNT
    )
    return {
        t: target_context(
            services.aws,
            services.config,
            account=t.account,
            region=t.region,
            now=moment,
            account_id=own if t.account == CURRENT_ACCOUNT else t.account,
        )
        for t in targets
    }
