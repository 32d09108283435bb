"""Opening an approval request for one listed finding (re-checked live first), and the
open requests for a list of findings. Above both the kinds (bot.advice, bot.orphans) and
the remediation service, so neither needs the other."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from bot.advice import compute as compute_advice
from bot.advice import rightsizing
from bot.advice import storage as storage_advice
from bot.advice.catalogue import InstanceCatalogue, default_catalogue
from bot.findings.model import Finding, NotEligible, TargetContext
from bot.remediation import requests as store
from bot.remediation.service import Recheck, RequestResult, ResourceRef, open_request
from bot.services import Services


def pending_requests(services: Services, findings: Iterable[Finding]) -> dict[str, int]:
    """Open cleanup/change request ids by resource id for these findings."""
    ids = [f.resource_id for f in findings]
    if not ids:
        return {}
    with services.db.session() as session:
        return store.open_requests(session, ids)


def open_advice_request(
    services: Services,
    ref: ResourceRef,
    recheck: Recheck | None,
    *,
    user: str,
    what: str = "advice",
    adjust: Callable[[Finding], Finding] | None = None,
) -> RequestResult:
    """Re-check the resource and open a pending request for its recommended action.

    `adjust` may pick another of the recommendation's actions (stop rather than resize).
    """
    return open_request(services, ref, recheck, user=user, what=what, verb="change", adjust=adjust)


def request_storage_change(services: Services, ref: ResourceRef, *, user: str) -> RequestResult:
    """Re-check the resource and open a pending request for its storage change."""
    return open_advice_request(
        services, ref, storage_advice.RECHECKS.get(ref.kind), user=user, what="storage advice"
    )


def _actionable(finding: Finding) -> Finding:
    """The finding, or NotEligible (with its reason) when it can only be done by hand."""
    if finding.action is None and not finding.protected:
        raise NotEligible(finding.reason)
    return finding


def request_compute_change(
    services: Services, ref: ResourceRef, *, user: str, catalogue: InstanceCatalogue | None = None
) -> RequestResult:
    """Re-check the resource and open a pending request for its compute change."""
    recheck = compute_advice.RECHECKS.get(ref.kind)
    if recheck is None and ref.kind in compute_advice.ADVISORY:
        return RequestResult(
            problem=f"`{ref.kind}` advice is advisory: there is no in-place change to request"
        )
    prices = catalogue or default_catalogue()
    return open_advice_request(
        services,
        ref,
        partial(recheck, catalogue=prices) if recheck else None,
        user=user,
        what="compute advice",
        adjust=_actionable,
    )


def request_rightsize_change(
    services: Services,
    ref: ResourceRef,
    *,
    user: str,
    instance_type: str | None = None,
    action: str | None = None,
) -> RequestResult:
    """Re-check the instance and open a pending request for the recommended change
    (`action`, when given, must still be what is recommended)."""

    def recheck(ctx: TargetContext, instance_id: str) -> Finding:
        return rightsizing.recheck_instance(
            ctx, instance_id, kind=ref.kind, instance_type=instance_type
        )

    def still_advised(finding: Finding) -> Finding:
        if finding.action is None and not finding.protected:
            raise NotEligible(finding.reason)
        if action is not None and finding.action not in (None, action):
            raise NotEligible("the advice has changed since; run `/rightsize` again")
        return finding

    return open_advice_request(
        services,
        ref,
        recheck if ref.kind in rightsizing.KINDS else None,
        user=user,
        what="rightsizing advice",
        adjust=still_advised,
    )
