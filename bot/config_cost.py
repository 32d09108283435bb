"""Configuration of the billing-export cost sources: `cost.focus:` and `cost.athena:`."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: FOCUS 1.x ChargeCategory values (case as the spec writes them).
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FocusSourceConfig(_Strict):
    """`cost.focus`: where the FOCUS (or CUR 2.0) export files are."""

    #: A directory, a file, or an s3://bucket/prefix/ (CSV, CSV.gz, Parquet; mixed is fine).
    path: str = Field(min_length=1)


class AthenaSourceConfig(_Strict):
    """`cost.athena`: the Athena table over the export and where query results go."""

    database: str
    table: str
    workgroup: str = "primary"
    output_location: str | None = None
    region: str | None = None
    #: Give up (and cancel the query) after this many seconds.
    timeout_seconds: float = Field(default=60, gt=0)
    #: CUR 2.0 instead of FOCUS columns (found from the table's columns when unset).
    schema_kind: str | None = Field(default=None, pattern=r"^(focus|cur2)$")

    @field_validator("database", "table")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f'"{value}" must be a plain name (letters, digits, _)')
        return value

    @field_validator("output_location")
    @classmethod
    def _s3(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("s3://"):
            raise ValueError(f'"{value}" must be an s3:// location')
        return value


def check_charge_categories(value: list[str]) -> list[str]:
    """FOCUS ChargeCategory names, spelled as the spec does (case-insensitive input)."""
    known = {c.lower(): c for c in CHARGE_CATEGORIES}
    out = []
    for name in value:
        canonical = known.get(name.lower())
        if canonical is None:
            raise ValueError(
                f'"{name}" is not a FOCUS ChargeCategory (use {", ".join(CHARGE_CATEGORIES)})'
            )
        out.append(canonical)
    return out
