"""Advice as registered finding kinds (listed in `bot.findings.registry`)."""
