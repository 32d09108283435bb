"""What every kind of advice shares: a context per selected account and region, and
opening an approval request for one recommendation after re-checking it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.aws import CURRENT_ACCOUNT, Target, describe_aws_error
from bot.orphans.model import Finding, NotEligible, TargetContext
from bot.orphans.scanner import ScanFilter, caller_account, target_context
from bot.remediation import requests as store
from bot.remediation.service import RequestResult, ResourceRef
from bot.services import Services

log = logging.getLogger(__name__)

#: Looks at one resource again right now: the finding, or NotEligible.
Recheck = Callable[[TargetContext, str], Finding]


def advice_contexts(services: Services, scope: ScanFilter | None = None
                    ) -> dict[Target, TargetContext]:
    """A context for every configured account and (selected) region, sharing one clock."""
    scope = scope or ScanFilter()
    targets = [t for t in services.aws.targets()
               if scope.region is None or t.region == scope.region]
    if not targets:
        return {}
    moment = services.now()
    own = (caller_account(services.aws, targets[0].region)
           if any(t.account == CURRENT_ACCOUNT for t in targets) else CURRENT_ACCOUNT)
    return {
        t: target_context(services.aws, services.config, account=t.account, region=t.region,
                          now=moment, account_id=own if t.account == CURRENT_ACCOUNT
                          else t.account)
        for t in targets
    }


def open_advice_request(services: Services, ref: ResourceRef, recheck: Recheck | None, *,
                        user: str, what: str = "advice",
                        adjust: Callable[[Finding], Finding] | None = None) -> RequestResult:
    """Re-check the resource and open a pending request for its recommended action.

    `adjust` may pick another of the recommendation's actions (stop rather than resize).
    """
    if recheck is None:
        return RequestResult(problem=f"unknown kind of {what} {ref.kind!r}")
    if ref.region not in services.config.regions:
        return RequestResult(problem=f"region {ref.region} is no longer configured")
    ctx = target_context(services.aws, services.config, account=ref.account,
                         region=ref.region, now=services.now())
    try:
        finding = recheck(ctx, ref.resource_id)
        if adjust is not None:
            finding = adjust(finding)
    except NotEligible as exc:
        return RequestResult(problem=f"nothing to change: {exc}")
    except Exception as exc:
        log.warning("re-check of %s failed", ref.resource_id, exc_info=True)
        return RequestResult(problem=describe_aws_error(exc))
    if finding.protected or finding.action is None:
        tag = services.config.tags.protect
        return RequestResult(problem=f"`{ref.resource_id}` is tagged `{tag}`: it is reported "
                                     "but never changed")
    ttl = timedelta(hours=services.config.remediation.request_ttl_hours)
    with services.db.session() as session:
        try:
            request = store.create_request(session, finding=finding, requested_by=user,
                                           now=services.now(), ttl=ttl)
        except store.AlreadyOpen as exc:
            return RequestResult(existing=exc.existing)
    return RequestResult(request=request)
