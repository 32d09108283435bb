"""Before an owner is asked to tag a resource: what it misses right now, read live."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.services import Services
from bot.tags.compliance import check
from bot.tags.inventory import find_resource

log = logging.getLogger(__name__)

Reason = Literal["gone", "not_theirs", "complete"]


@dataclass(frozen=True)
class StillMissing:
    """The required tags missing now (`missing`), or why nobody should be asked."""

    missing: list[str] = field(default_factory=list)
    reason: Reason | None = None


def still_missing(
    services: Services,
    *,
    resource_type: str,
    region: str,
    account: str,
    resource_id: str,
    owner: str,
    listed: list[str],
    owner_of: Callable[[str], str | None] | None = None,
) -> StillMissing:
    """What the resource misses now; `reason` when it is gone, has every tag now, or its
    Owner tag no longer resolves (`owner_of`) to `owner`. An AWS error falls back to the
    `listed` tags (the listing's)."""
    try:
        resource = find_resource(
            services.aws,
            services.config,
            resource_type=resource_type,
            region=region,
            account=account,
            resource_id=resource_id,
        )
    except Exception:
        log.warning("re-check of %s failed; using the listed tags", resource_id, exc_info=True)
        return StillMissing(missing=list(listed))
    if resource is None:
        return StillMissing(reason="gone")
    owner_tag = resource.tags.get(services.config.tags.owner, "").strip()
    if owner_of is not None and owner_of(owner_tag) != owner:
        return StillMissing(reason="not_theirs")
    missing = list(check(resource, services.config).missing)
    return StillMissing(missing=missing) if missing else StillMissing(reason="complete")
