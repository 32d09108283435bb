"""Why the cost source gave no answer: transient failures (counted by the breaker) and
refusals (CostUnavailable, said to the asker)."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws import describe_aws_error

from .breaker import CircuitBreaker

log = logging.getLogger("bot.cost.service")

#: Error codes that mean "try again later" (they count against the circuit breaker).
TRANSIENT_CODES = frozenset(
    {
        "LimitExceededException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class CostUnavailable(Exception):
    """No trustworthy answer can be given; the message says why, for the asker."""


def failed(breaker: CircuitBreaker, exc: ClientError | BotoCoreError) -> str:
    """Record a transient failure (or raise CostUnavailable for a request AWS refuses)."""
    text = describe_aws_error(exc)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code not in TRANSIENT_CODES and int(status or 0) < 500:
            breaker.release()
            raise CostUnavailable(f"Cost Explorer refused the request: {text}") from None
    log.warning("Cost Explorer failed: %s", text)
    breaker.record_failure(text)
    return f"Cost Explorer is not answering ({text})"


def open_text(breaker: CircuitBreaker) -> str:
    return (
        f"Cost Explorer kept failing ({breaker.last_error or 'errors'}), so the bot stopped "
        f"asking it for a while (next try in {int(breaker.retry_in()) + 1} s)"
    )
