"""Slack request verification, done before Bolt (or anything else) sees the request.

A request is accepted only when its timestamp is a plain integer within five minutes of
now, its `X-Slack-Signature` is Slack's `v0=` HMAC-SHA256 of `v0:{ts}:{body}` under the
signing secret, and its body parses the way Slack sends it (a form, a form whose
`payload` is a JSON object, or a JSON object). Anything else is refused with a status and
a short reason, and nothing else happens: no listener runs, no error handler, no outbound
call, no database write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

#: Slack's replay window.
MAX_AGE_SECONDS = 300
#: Slack payloads are far smaller; anything bigger is refused before it is read.
MAX_BODY_BYTES = 1_000_000

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


@dataclass(frozen=True)
class Refused:
    """Why a request was refused, and the HTTP status to answer with."""

    status: int
    reason: str


@dataclass(frozen=True)
class Verified:
    """A request that passed: its raw body (text) and what it parsed to."""

    body: str
    parsed: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def retry_num(self) -> str | None:
        """Slack's `X-Slack-Retry-Num`, when this is a redelivery."""
        return self.headers.get("x-slack-retry-num")


def read_body(environ: dict[str, Any]) -> bytes | Refused:
    """The request body, read only when its declared length is sane."""
    length_text = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not length_text.isdigit():
        return Refused(400, "bad Content-Length")
    length = int(length_text)
    if length > MAX_BODY_BYTES:
        return Refused(413, "body too large")
    stream = environ.get("wsgi.input")
    data = stream.read(length) if stream is not None and length else b""
    return bytes(data)


def wsgi_headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers, lower-cased names (`x-slack-signature`, `content-type`, ...)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def verify(
    raw: bytes,
    headers: dict[str, str],
    *,
    secret: str | None,
    now: Callable[[], float] = time.time,
) -> Verified | Refused:
    """Check timestamp and signature, then the body's shape."""
    if not secret:
        return Refused(401, "no signing secret configured")
    timestamp = headers.get("x-slack-request-timestamp", "")
    if not _TIMESTAMP.match(timestamp):
        return Refused(401, "missing or malformed timestamp")
    if abs(now() - int(timestamp)) > MAX_AGE_SECONDS:
        return Refused(401, "stale timestamp")
    signature = headers.get("x-slack-signature", "")
    if not _SIGNATURE.match(signature):
        return Refused(401, "missing or malformed signature")
    expected = (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected, signature):
        return Refused(401, "wrong signature")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refused(400, "body is not UTF-8")
    parsed = parse_body(text, headers.get("content-type", ""))
    if parsed is None:
        return Refused(400, "unparsable body")
    return Verified(body=text, parsed=parsed, headers=headers)


def parse_body(text: str, content_type: str) -> dict[str, Any] | None:
    """What Bolt will parse the body to (a dict), or None when it would not parse."""
    if content_type.split(";")[0].strip().lower() == "application/json" or (
        text.lstrip().startswith(("{", "["))
    ):
        return _json_object(text)
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        return None
    fields = {key: values[0] for key, values in form.items()}
    if "payload" in fields:
        return _json_object(fields["payload"])
    return fields


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def body_key(raw: str) -> str:
    """A short fingerprint of a body: a Slack retry repeats the body exactly."""
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
