"""The error every configuration problem raises."""


class ConfigError(Exception):
    """A configuration problem, phrased for the person who has to fix it."""
