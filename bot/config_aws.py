"""The `aws:` block of finops.yml: how long one AWS call may take and how often it is tried.

Every describe the scans make is paged (bounded pages, see `bot.findings.model.PAGE_SIZES`),
so one call answers in well under a second on AWS; the read timeout bounds a call that
hangs, and `max_attempts` bounds the retries of throttling, 5xx and timeouts (with
botocore's standard backoff). A slow endpoint (a stand-in such as moto holding thousands of
tagged resources answers one unpaged listing in tens of seconds) needs a longer read
timeout, not more attempts: a retried slow call only makes the endpoint slower.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AwsConfig(BaseModel):
    """`aws:` — timeouts and attempts of every AWS call the bot makes (Cost Explorer has its
    own, `cost.breaker`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect_timeout_seconds: float = Field(default=5, gt=0, le=300)
    #: Seconds one call (one page) may take to answer before it counts as failed.
    read_timeout_seconds: float = Field(default=60, gt=0, le=900)
    #: Tries per call, the first included (throttling, 5xx, timeouts), with backoff.
    max_attempts: int = Field(default=5, ge=1, le=20)
