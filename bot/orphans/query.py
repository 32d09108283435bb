"""Checking `/orphans` (and `finops-bot scan orphans`) filters against the configuration."""

from __future__ import annotations

from bot.args import ArgumentError, parse_args, suggest
from bot.config import FinopsConfig
from bot.findings.scope import ScanFilter
from bot.orphans.model import load_kinds

KEYS = ("team", "region", "kind")


def check_scope(
    config: FinopsConfig, *, team: str | None, region: str | None, kind: str | None
) -> ScanFilter:
    """A ScanFilter, or ArgumentError naming the bad value and the choices."""
    if team is not None and team not in config.teams:
        names = config.team_names()
        raise ArgumentError(
            f'Unknown team "{team}"{suggest(team, names) or "."} '
            f"Teams: {', '.join(names) or 'none configured'}."
        )
    if region is not None and region not in config.regions:
        raise ArgumentError(
            f'Region "{region}" is not scanned{suggest(region, config.regions) or "."} '
            f"Configured regions: {', '.join(config.regions)}."
        )
    kinds = sorted(load_kinds())
    if kind is not None and kind not in kinds:
        raise ArgumentError(
            f'Unknown kind "{kind}"{suggest(kind, kinds) or "."} Kinds: {", ".join(kinds)}.'
        )
    return ScanFilter(team=team, region=region, kind=kind)


def parse_scope(text: str, config: FinopsConfig, *, command: str) -> tuple[ScanFilter, bool]:
    """Parse `team=… region=… kind=…` (or `help`); returns (filter, wants_help)."""
    parsed = parse_args(text, keys=KEYS, words=("help",), command=command)
    options = {k: v.strip() for k, v in parsed.options.items()}
    scope = check_scope(
        config,
        team=options.get("team", "").lower() or None,
        region=options.get("region", "").lower() or None,
        kind=options.get("kind", "").lower() or None,
    )
    return scope, "help" in parsed.words
