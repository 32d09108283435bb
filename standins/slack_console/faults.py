"""Injected failures: make chosen Web API calls answer 429 (with Retry-After) or an error.

A fault matches a method (or ``*``) and optionally a channel (id or name); it applies to the
next ``times`` matching calls (None: until cleared). With ``after`` the call is carried out
first and then answered with the error, like a response lost on the way back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .state import ConsoleState


@dataclass
class Fault:
    """One injected failure (see the module docstring)."""

    method: str
    channel: str | None = None
    error: str = "ratelimited"
    retry_after: int = 1
    status: int | None = None
    times: int | None = None
    after: bool = False
    hits: int = 0

    @property
    def http_status(self) -> int:
        """429 for ratelimited, else the given status (Slack answers errors with 200)."""
        if self.status is not None:
            return self.status
        return 429 if self.error == "ratelimited" else 200

    def describe(self) -> dict[str, Any]:
        """The fault as JSON."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """A fault from the body of ``POST /_console/faults`` (ValueError when malformed)."""
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            raise ValueError("a fault needs a method (e.g. chat.postMessage, or *)")
        times = data.get("times")
        status = data.get("status")
        return cls(
            method=data["method"],
            channel=str(data["channel"]) if data.get("channel") else None,
            error=str(data.get("error") or "ratelimited"),
            retry_after=int(data.get("retry_after", 1)),
            status=int(status) if status is not None else None,
            times=int(times) if times is not None else None,
            after=bool(data.get("after", False)),
        )


def take_fault(state: ConsoleState, method: str, args: dict[str, Any]) -> Fault | None:
    """The first live fault matching this call, counted as hit (None: the call goes ahead)."""
    with state.lock:
        for fault in state.faults:
            if fault.method not in ("*", method):
                continue
            if fault.channel is not None:
                wanted = state.resolve_channel(fault.channel) or fault.channel
                given = state.resolve_channel(str(args.get("channel") or "")) or args.get("channel")
                if given != wanted:
                    continue
            if fault.times is not None and fault.hits >= fault.times:
                continue
            fault.hits += 1
            return fault
    return None
