"""`/cost`: exact spend by team, service, account and period, from cached Cost Explorer data.

Modules: `periods` (period= values), `query` (the question), `explorer` (Cost Explorer
calls, counted), `breaker` (stop calling it while it fails), `cache` (daily rows in the
database), `report` (the answer as plain data), `chart` (PNG), `service` (putting it together).
"""
