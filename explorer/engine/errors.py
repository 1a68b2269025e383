"""The one error every layer may raise for a check that cannot be run as configured."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration that cannot be checked; the CLI prints it on one line, exit 2."""
