"""Typed button values and modal metadata: one small model each, encoded and decoded here.

Renderers call `Model(...).encode()` for a button's `value`; the dispatcher decodes the
clicked value with the model registered for its action id before the listener runs, and
answers "That button is out of date" itself when it does not decode. `problem(config)`
checks what can be checked against the server's own state without a database (region and
account still configured, kind still known); handlers check ids against stored requests
or the live resource before acting.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from bot.config import FinopsConfig

#: Slack allows 2,000 characters in a button value, 3,000 in private_metadata.
MAX_VALUE = 2000
MAX_METADATA = 3000
MAX_ID = 2**63 - 1  # the largest id a database integer column holds

Name = Annotated[str, Field(min_length=1, max_length=64)]
ResourceId = Annotated[str, Field(min_length=1, max_length=512)]
Region = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", max_length=32)]
Account = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
UserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,31}$")]
_DIGITS = re.compile(r"^[0-9]{1,19}$")


class PayloadError(ValueError):
    """A value that is not what this bot ever put in a button."""


class Payload(BaseModel):
    """Base of every button value and modal metadata: JSON, strictly typed."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    MAX_CHARS: ClassVar[int] = MAX_VALUE

    def encode(self) -> str:
        """The value to put in the button (compact JSON)."""
        text = self.model_dump_json(exclude_none=True)
        if len(text) > self.MAX_CHARS:
            raise ValueError(f"{type(self).__name__} value too long ({len(text)} characters)")
        return text

    @classmethod
    def decode(cls, text: Any) -> Self:
        """The model a clicked value stands for; PayloadError for anything else."""
        if not isinstance(text, str) or not text or len(text) > cls.MAX_CHARS:
            raise PayloadError(f"{cls.__name__}: not a string of 1..{cls.MAX_CHARS} characters")
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise PayloadError(f"{cls.__name__}: {_first_error(exc)}") from None

    def problem(self, config: FinopsConfig) -> str | None:
        """Why this value no longer fits the configuration (None: it does)."""
        return None


class IdPayload(Payload):
    """A value that is one database id, encoded as its digits (as every release has)."""

    id: int = Field(ge=1, le=MAX_ID)

    def encode(self) -> str:
        return str(self.id)

    @classmethod
    def decode(cls, text: Any) -> Self:
        if not isinstance(text, str) or not _DIGITS.match(text):
            raise PayloadError(f"{cls.__name__}: not a positive id")
        try:
            return cls(id=int(text))
        except ValidationError as exc:
            raise PayloadError(f"{cls.__name__}: {_first_error(exc)}") from None


class RequestButton(IdPayload):
    """Approve / Reject / Undo: the cleanup request's id (everything else is read from it)."""


class AnomalyButton(IdPayload):
    """Expected / Investigating on an anomaly alert: the anomaly's id."""


class ResourceButton(Payload):
    """ "Request cleanup" / "Request change": which resource, to be re-checked before use."""

    k: Name
    r: Region
    a: Account
    id: ResourceId

    def problem(self, config: FinopsConfig) -> str | None:
        return _target_problem(config, region=self.r, account=self.a)


class RightsizeButton(ResourceButton):
    """Stop / Terminate / Change to <type>: also the type the instance had when listed."""

    t: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class ShowMoreButton(Payload):
    """ "Show more" on `/orphans`: the same scope and where the next page starts."""

    team: Name | None = None
    region: Region | None = None
    kind: Name | None = None
    offset: int = Field(ge=0, le=100_000)
    #: The identities of the last findings shown, newest first (see ListingPageButton).
    k: list[Annotated[str, Field(min_length=1, max_length=400)]] | None = Field(
        default=None, max_length=3
    )
    #: The newest scan the first page read, Unix seconds (see ListingPageButton).
    t: int | None = Field(default=None, ge=0, le=1 << 40)

    def problem(self, config: FinopsConfig) -> str | None:
        from bot.orphans.model import load_kinds

        if self.kind is not None and self.kind not in load_kinds():
            return f"unknown kind {self.kind!r}"
        if self.team is not None and self.team not in config.teams:
            return f"team {self.team!r} is no longer configured"
        if self.region is not None and self.region not in config.regions:
            return f"region {self.region} is no longer configured"
        return None


class TagsAskButton(Payload):
    """ "Ask owner to fix" on `/tags`: the resource, the tags it missed, whom to ask."""

    id: ResourceId
    n: Annotated[str, Field(max_length=256)] | None = None
    t: Name
    r: Region
    a: Account
    m: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=50
    )
    o: UserId

    def problem(self, config: FinopsConfig) -> str | None:
        return _target_problem(config, region=self.r, account=self.a)


class TagsPageButton(Payload):
    """ "Show more" / "Download CSV" on `/tags`: the team filter and, for a next page, the
    sort key of the last resource shown and how many were shown before."""

    team: Name | None = None
    n: int | None = Field(default=None, ge=0, le=1000)  # tags the last one shown missed
    g: Annotated[str, Field(max_length=64)] | None = None  # its team ("" for none)
    id: ResourceId | None = None
    a: Annotated[str, Field(max_length=64)] | None = None
    r: Annotated[str, Field(max_length=32)] | None = None
    s: int = Field(default=0, ge=0, le=1_000_000)

    def after(self) -> tuple[int, str, str, str, str] | None:
        """The sort key the next page starts after (None: from the start)."""
        if self.n is None or self.id is None:
            return None
        return (-self.n, self.g or "", self.id, self.a or "", self.r or "")

    def problem(self, config: FinopsConfig) -> str | None:
        if self.team is not None and self.team not in config.teams:
            return f"team {self.team!r} is no longer configured"
        return None


class CostShareButton(Payload):
    """ "Share in channel" on a `/cost` answer: the question and the chart's file id."""

    q: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=256)]] = Field(
        max_length=12
    )
    f: Annotated[str, Field(max_length=64)] = ""


class ListingButton(Payload):
    """Refresh / Download CSV on a listing: which command, with which arguments."""

    c: Annotated[str, Field(pattern=r"^/[a-z0-9_-]{1,40}$")]
    q: Annotated[str, Field(max_length=500)] = ""


class ListingPageButton(ListingButton):
    """ "Show more" on a listing: the command, its arguments, how many were shown before,
    and the identities (`kind|account|region|id`) of the last items shown, newest first:
    the next page starts after them in the list as it is when clicked. `t`: the newest scan
    (Unix seconds) the first page read, to tell when the list was refreshed since."""

    o: int = Field(ge=0, le=100_000)
    k: list[Annotated[str, Field(min_length=1, max_length=400)]] | None = Field(
        default=None, max_length=3
    )
    t: int | None = Field(default=None, ge=0, le=1 << 40)


class ModalMetadata(Payload):
    """Base of a modal's private_metadata."""

    MAX_CHARS: ClassVar[int] = MAX_METADATA
    #: The input block that shows "This form is out of date" when the metadata does not
    #: decode (None: the modal just closes, as for a button).
    ERROR_BLOCK: ClassVar[str | None] = None


_REJECT_FORM = re.compile(r"^([0-9]{1,19})(:home)?$")


class RejectForm(ModalMetadata):
    """The reject modal: which request, and whether the Home tab opened it (so the tab is
    published again afterwards). Encoded `12` or `12:home`, as every release has."""

    ERROR_BLOCK: ClassVar[str | None] = "reason"
    id: int = Field(ge=1, le=MAX_ID)
    home: bool = False

    def encode(self) -> str:
        return f"{self.id}:home" if self.home else str(self.id)

    @classmethod
    def decode(cls, text: Any) -> Self:
        match = _REJECT_FORM.match(text) if isinstance(text, str) else None
        if match is None:
            raise PayloadError(f"{cls.__name__}: not a reject form")
        try:
            return cls(id=int(match.group(1)), home=match.group(2) is not None)
        except ValidationError as exc:
            raise PayloadError(f"{cls.__name__}: {_first_error(exc)}") from None


def _target_problem(config: FinopsConfig, *, region: str, account: str) -> str | None:
    if region not in config.regions:
        return f"region {region} is no longer configured"
    accounts = [spec.id for spec in config.accounts]
    if accounts and account not in accounts:
        return f"account {account} is not configured"
    return None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "value"
    return f"{where}: {error.get('msg', 'invalid')}"
