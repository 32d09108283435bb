"""Observability: Prometheus metrics, the bot's own API spend, status and readiness.

`metrics` holds every metric and the small functions the rest of the code calls to move them;
`db_collector` turns database state (requests by state, outbox backlog, inventory age, job runs)
into gauges at scrape time, so the clock process needs no metrics port of its own; `usage` keeps
the bot's own API spend in the database, month by month; `status` builds `/finops status`.
"""
