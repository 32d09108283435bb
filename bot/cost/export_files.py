"""Finding the files of a FOCUS or CUR 2.0 export: a directory, one file, or an S3 prefix.

S3 is read by DuckDB's httpfs extension, loaded from the `duckdb-extension-httpfs`
package (never downloaded at run time), with the credentials and endpoint of the same
boto3 session as every other AWS call (so `AWS_ENDPOINT_URL` points it at moto in tests).
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws import describe_aws_error

PARQUET = (".parquet", ".parq", ".pq")
CSV = (".csv", ".csv.gz")


class ExportError(Exception):
    """The export cannot be read; the message is one line for the person who configured it."""


class SourceFailure(Exception):
    """The source failed in a way that may pass (Athena or S3 not answering): try later."""


@dataclass(frozen=True)
class ExportFiles:
    """The export's files, by format (paths or s3:// URLs)."""

    parquet: tuple[str, ...]
    csv: tuple[str, ...]
    #: What changes when any file is rewritten: sizes and mtimes (local) or ETags (S3).
    stamp: str = ""

    @property
    def all(self) -> tuple[str, ...]:
        return self.parquet + self.csv


def _split(names: list[str], where: str, stamps: dict[str, str] | None = None) -> ExportFiles:
    parquet = sorted(n for n in names if n.lower().endswith(PARQUET))
    csv = sorted(n for n in names if n.lower().endswith(CSV))
    if not parquet and not csv:
        raise ExportError(f"{where} holds no CSV, CSV.gz or Parquet files")
    known = stamps or {}
    text = "\n".join(f"{n} {known.get(n, '')}" for n in parquet + csv)
    stamp = hashlib.sha1(text.encode()).hexdigest()
    return ExportFiles(tuple(parquet), tuple(csv), stamp)


def _local_stamps(names: list[str]) -> dict[str, str]:
    stamps = {}
    for name in names:
        try:
            info = os.stat(name)
        except OSError:
            continue
        stamps[name] = f"{info.st_size} {info.st_mtime_ns}"
    return stamps


def local_files(path: str) -> ExportFiles:
    """The export files at a local path (a directory is searched recursively)."""
    target = Path(path).expanduser()
    if not target.exists():
        raise ExportError(f"cost.focus.path {path} does not exist")
    if target.is_file():
        if not target.name.lower().endswith(PARQUET + CSV):
            raise ExportError(f"{path} is not a CSV, CSV.gz or Parquet file")
        return _split([str(target)], path, _local_stamps([str(target)]))
    names = [
        name
        for name in glob.glob(os.path.join(glob.escape(str(target)), "**", "*"), recursive=True)
        if os.path.isfile(name)
    ]
    return _split(names, f"cost.focus.path {path}", _local_stamps(names))


def s3_files(url: str, s3_client: Any) -> ExportFiles:
    """The export files under an s3://bucket/prefix (one ListObjectsV2 walk)."""
    parsed = urlparse(url)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    if not bucket:
        raise ExportError(f"cost.focus.path {url} names no bucket")
    names: list[str] = []
    stamps: dict[str, str] = {}
    try:
        for page in s3_client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                name = f"s3://{bucket}/{item['Key']}"
                names.append(name)
                stamps[name] = f"{item.get('Size', '')} {item.get('ETag', '')}"
    except ClientError as exc:  # S3 answered no (no such bucket, access denied)
        raise ExportError(f"cost.focus.path {url}: {describe_aws_error(exc)}") from None
    except BotoCoreError as exc:  # S3 not reachable: may pass
        raise SourceFailure(f"cost.focus.path {url}: {describe_aws_error(exc)}") from None
    if not names:
        raise ExportError(f"cost.focus.path {url} holds no files")
    return _split(names, f"cost.focus.path {url}", stamps)


def httpfs_extension() -> str:
    """The httpfs extension file shipped by the `duckdb-extension-httpfs` package."""
    try:
        import duckdb_extension_httpfs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ExportError(
            "reading s3:// exports needs the duckdb-extension-httpfs package "
            "(pip install duckdb-extension-httpfs)"
        ) from None
    root = Path(duckdb_extension_httpfs.__file__).parent
    found = sorted(root.rglob("httpfs.duckdb_extension"))
    if not found:
        raise ExportError("the duckdb-extension-httpfs package holds no httpfs extension file")
    return str(found[-1])


def s3_secret_sql(session: Any, endpoint_url: str | None, region: str) -> str:
    """A DuckDB CREATE SECRET for the boto3 session's credentials and endpoint."""
    from .export_sql import literal

    credentials = session.get_credentials()
    parts = ["TYPE s3", f"REGION {literal(region)}"]
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        parts += [f"KEY_ID {literal(frozen.access_key)}", f"SECRET {literal(frozen.secret_key)}"]
        if frozen.token:
            parts.append(f"SESSION_TOKEN {literal(frozen.token)}")
    if endpoint_url and "amazonaws.com" not in endpoint_url:
        endpoint = urlparse(endpoint_url)
        parts += [
            f"ENDPOINT {literal(endpoint.netloc)}",
            "URL_STYLE 'path'",
            f"USE_SSL {'true' if endpoint.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE SECRET finops_s3 ({', '.join(parts)})"
