"""The outbox moved to `storage.outbox` (plain rows, so the domain may queue messages
without importing `bot.slack`, which imports the domain). This name is kept only for
`benchmarks/outbox_delivery.py`; import `storage.outbox` instead."""

from storage.outbox import *  # noqa: F403
