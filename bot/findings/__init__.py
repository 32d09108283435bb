"""The kernel of findings: what a finding is, what a kind declares, the registry of
kinds, scan scope and failures, and the shared price table. Imports nothing above it."""
