"""Tagging compliance: every resource listed directly, compared with `tags.required`."""
