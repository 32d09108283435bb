"""Approved cleanup: requests, authorization, registered actions, expiry and restore."""
