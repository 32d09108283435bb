"""Process settings from the environment (secrets wrapped so `repr` never shows them)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from pydantic import SecretStr

from bot.config_base import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///finops-bot.db"
DEFAULT_CONFIG_PATH = "finops.yml"


@dataclass(frozen=True)
class Settings:
    """Process settings from the environment. Secrets are SecretStr: `repr` hides them."""

    slack_bot_token: SecretStr | None
    slack_signing_secret: SecretStr | None
    slack_app_token: SecretStr | None
    slack_api_url: str
    database_url: str
    config_path: str
    port: int
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings from `env` (default: os.environ)."""
        env = dict(os.environ if env is None else env)
        port_text = env.get("PORT", "3000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a TCP port number, not {port_text!r}")
        api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            slack_bot_token=_secret(env, "SLACK_BOT_TOKEN"),
            slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
            slack_app_token=_secret(env, "SLACK_APP_TOKEN"),
            slack_api_url=api_url,
            database_url=normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            config_path=env.get("FINOPS_CONFIG") or DEFAULT_CONFIG_PATH,
            port=int(port_text),
        )

    def require_slack(self, *, socket_mode: bool = False) -> None:
        """Fail with a clear line when the Slack secrets needed to serve are missing."""
        needed = ["SLACK_BOT_TOKEN"] + ([] if socket_mode else ["SLACK_SIGNING_SECRET"])
        missing = [name for name in needed if getattr(self, name.lower()) is None]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
                "(see README: Connecting a real workspace)"
            )


def _secret(env: dict[str, str], name: str) -> SecretStr | None:
    value = env.get(name, "").strip()
    return SecretStr(value) if value else None


def normalize_database_url(url: str) -> str:
    """Accept Heroku-style `postgres://` URLs and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_url(url: str) -> str:
    """A database URL with any password replaced, safe for logs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
