"""Optimization advice (storage first): recommendations with dollars, each offering an
action that goes through the cleanup approval flow (bot.remediation)."""
