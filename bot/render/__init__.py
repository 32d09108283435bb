"""Block Kit rendering: small functions per message kind, nothing else knows Block Kit."""
