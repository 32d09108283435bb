"""Everything the bot says to Slack: one outbound module, the outbox and its worker."""
