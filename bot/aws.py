"""The one place that builds boto3 clients: per account and region, never at import time.

Credentials come from the default chain; accounts configured with a `role_arn` are
reached by assuming that role (credentials refresh themselves before they expire).
Endpoints come from boto3's own settings, so `AWS_ENDPOINT_URL` and the per-service
`AWS_ENDPOINT_URL_<SERVICE>` variables point the bot at moto or another stand-in.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import get_session

from bot.config import AccountConfig, FinopsConfig

CURRENT_ACCOUNT = "current"

#: What every client gets besides `aws:`'s timeouts and attempts (see `client_settings`).
DEFAULT_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=60,
    user_agent_extra="finops-bot",
)


def client_settings(config: FinopsConfig) -> Config:
    """Standard retries (throttling, 5xx and timeouts with backoff) and timeouts from
    `aws:`: a call that hangs fails the scan of its target after at most `max_attempts`
    read timeouts rather than hanging it."""
    settings = config.aws
    return DEFAULT_CLIENT_CONFIG.merge(
        Config(
            retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
        )
    )


@dataclass(frozen=True)
class Target:
    """One account and region to read."""

    account: str
    region: str


class AwsError(Exception):
    """An AWS call failed; the message is safe to show to a user."""


def describe_aws_error(exc: BaseException) -> str:
    """A one-line, user-facing description of a boto3 error."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = _plain(str(error.get("Message", "")), exc.response)
        operation = getattr(exc, "operation_name", "the request")
        return f"AWS {code} on {operation}: {message}".rstrip(": ")
    if isinstance(exc, BotoCoreError):
        return f"AWS could not be reached: {_plain(str(exc))}"
    return f"AWS call failed: {_plain(str(exc))}"


def _plain(message: str, response: Any = None) -> str:
    """An error message as one line of text: an HTML error page (a proxy's, a stand-in's)
    becomes its title and HTTP status instead of the markup."""
    if not re.search(r"<(html|!doctype|head|body|title)\b", message, re.IGNORECASE):
        return " ".join(message.split())
    status = ((response or {}).get("ResponseMetadata") or {}).get("HTTPStatusCode")
    title = re.search(r"<title>(.*?)</title>", message, re.IGNORECASE | re.DOTALL)
    text = " ".join(html.unescape(title.group(1) if title else "").split())
    where = f" (HTTP {status})" if status else ""
    page = f"an error page{where}" + (f": {text}" if text else "")
    return f"the endpoint answered with {page}, not an AWS reply"


class AwsClients:
    """Builds and caches boto3 clients per (account, region, service)."""

    def __init__(
        self,
        config: FinopsConfig,
        *,
        session: boto3.Session | None = None,
        client_config: Config | None = None,
    ) -> None:
        self._config = config
        self._base_session = session
        self._client_config = client_config or client_settings(config)
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str, int], Any] = {}
        self._lock = threading.Lock()  # guards the dicts below, held only briefly
        self._account_locks: dict[str, threading.Lock] = {}
        self._session_locks: dict[int, threading.Lock] = {}
        self._base_lock = threading.Lock()
        self._org_accounts: list[AccountConfig] | None = None

    def _base(self) -> boto3.Session:
        """The session of the bot's own credentials (made once: its loader is shared)."""
        with self._base_lock:
            if self._base_session is None:
                self._base_session = boto3.Session()
            return self._base_session

    @property
    def regions(self) -> list[str]:
        """The configured regions."""
        return list(self._config.regions)

    def accounts(self) -> list[str]:
        """Configured account ids (and the Organization's, with `organization:`), or the
        current credentials' account when none are set."""
        ids = [account.id for account in self._config.accounts]
        ids += [a.id for a in self._organization_accounts() if a.id not in ids]
        return ids or [CURRENT_ACCOUNT]

    def _organization_accounts(self) -> list[AccountConfig]:
        """The Organization's active accounts (listed once per process), each reached
        through `organization.role_name` except the account the bot runs in."""
        org = self._config.organization
        if org is None:
            return []
        with self._lock:
            if self._org_accounts is not None:
                return self._org_accounts
        home = self._base().region_name  # through `client`: the base session's lock
        client = self.client("organizations", region=home, account=CURRENT_ACCOUNT)
        own = self.client("sts", region=home, account=CURRENT_ACCOUNT).get_caller_identity()[
            "Account"
        ]
        found: list[AccountConfig] = []
        for page in client.get_paginator("list_accounts").paginate():
            for account in page.get("Accounts", []):
                if account.get("Status") != "ACTIVE" or account["Id"] in org.exclude:
                    continue
                role = (
                    None
                    if account["Id"] == own
                    else (f"arn:aws:iam::{account['Id']}:role/{org.role_name}")
                )
                found.append(
                    AccountConfig(id=account["Id"], role_arn=role, name=account.get("Name"))
                )
        with self._lock:
            self._org_accounts = found
        return found

    def targets(self) -> Iterator[Target]:
        """Every configured account and region."""
        for account in self.accounts():
            for region in self._config.regions:
                yield Target(account=account, region=region)

    def client(
        self,
        service: str,
        *,
        region: str | None = None,
        account: str | None = None,
        client_config: Config | None = None,
    ) -> Any:
        """A (cached, thread-safe) boto3 client for `service` in that account and region.

        `client_config` is merged over the default config (retries, timeouts) for callers
        that need their own; clients are cached per distinct override.
        """
        region = region or self._config.regions[0]
        account = account or CURRENT_ACCOUNT
        key = (account, region, service, id(client_config) if client_config else 0)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                return client
            account_lock = self._account_locks.setdefault(account, threading.Lock())
        # Locks per account and per session, not one for all: assuming one account's role
        # (an STS call) or building one client must not hold up every other target's scan.
        with account_lock:
            session = self._session_for(account)
        with self._lock:
            session_lock = self._session_locks.setdefault(id(session), threading.Lock())
        with session_lock:  # a boto3 session is not thread-safe: its clients one at a time
            with self._lock:
                client = self._clients.get(key)
            if client is None:
                config = self._client_config
                if client_config is not None:
                    config = config.merge(client_config)
                client = session.client(service, region_name=region, config=config)
                with self._lock:
                    self._clients[key] = client
        return client

    def _session_for(self, account: str) -> boto3.Session:
        """The account's session (made once; the caller holds the account's lock)."""
        with self._lock:
            session = self._sessions.get(account)
        if session is not None:
            return session
        base = self._base()
        spec = self._account(account)
        if spec is None or spec.role_arn is None:
            session = base
        else:
            # One STS client of the bot's own credentials, made like any other (a boto3
            # session is not thread-safe), assumes the role now and at every refresh.
            sts = self.client("sts", region=base.region_name, account=CURRENT_ACCOUNT)
            session = _assumed_role_session(base, spec, sts)
        with self._lock:
            self._sessions[account] = session
        return session

    def _account(self, account: str) -> AccountConfig | None:
        for spec in self._config.accounts:
            if spec.id == account:
                return spec
        for spec in self._org_accounts or []:
            if spec.id == account:
                return spec
        return None


def _assumed_role_session(base: boto3.Session, spec: AccountConfig, sts: Any) -> boto3.Session:
    """A session whose credentials come from assuming `spec.role_arn` with `sts` (a client
    of the bot's own credentials), refreshed as they expire."""
    assert spec.role_arn is not None
    role_arn = spec.role_arn

    def fetch() -> dict[str, str]:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="finops-bot")["Credentials"]
        expiry = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    botocore_session = get_session()
    botocore_session._credentials = credentials  # documented pattern for refreshable creds
    # One loader for every account: each session would otherwise load (and keep) its own
    # copy of every service model it creates clients for, about 30 MiB per account.
    loader = base._session.get_component("data_loader")
    botocore_session.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=botocore_session, region_name=base.region_name)
    paths = loader.search_paths  # boto3.Session appends its data folder to the shared loader
    paths[:] = list(dict.fromkeys(paths))
    return session
