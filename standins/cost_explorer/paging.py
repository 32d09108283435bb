"""Opaque, tamper-evident page tokens bound to the request that produced them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from .errors import CostExplorerError


class PageTokens:
    """Issues and checks `NextPageToken`s: an offset, signed, tied to the request."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    @staticmethod
    def fingerprint(operation: str, params: dict[str, Any]) -> str:
        """A digest of the request without its token: later pages must send the same."""
        body = {k: v for k, v in params.items() if k != "NextPageToken"}
        text = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def issue(self, offset: int, fingerprint: str) -> str:
        """A token that resumes at `offset`."""
        payload = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def offset(self, token: Any, fingerprint: str) -> int:
        """The offset a token resumes at; `InvalidNextTokenException` if forged or garbled,
        `RequestChangedException` if it came from a different request."""
        if token is None or token == "":
            return 0
        try:
            raw = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4))
            mac, payload = raw[:12], raw[12:]
            expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
            if not hmac.compare_digest(mac, expected):
                raise ValueError("bad signature")
            data = json.loads(payload)
            offset = int(data["o"])
            issued_for = str(data["f"])
        except (ValueError, KeyError, TypeError):
            raise CostExplorerError(
                "InvalidNextTokenException",
                "The pagination token is invalid. Try again without a pagination token.",
            ) from None
        if issued_for != fingerprint:
            raise CostExplorerError(
                "RequestChangedException",
                "Your request parameters changed between pages. Try again with the old "
                "parameters or without a pagination token.",
            )
        return offset
