"""Cost anomalies: a robust daily baseline, alert rules, recommendations (no Slack, no AWS)."""
