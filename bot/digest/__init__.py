"""The weekly digest: spend per team week over week, budgets, movers, anomalies, savings."""
