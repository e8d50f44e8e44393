"""Exception types raised by seqkit.

Every error seqkit raises on purpose derives from `SeqkitError` and from the
standard exception a caller would expect, so `except ValueError` keeps
working (the pattern keras-tuner and Ludwig use). The CLI prints the message
of a `SeqkitError` without a traceback and exits with status 2.
"""

from __future__ import annotations


class SeqkitError(Exception):
    """Base class of every error seqkit raises on purpose."""


class ConfigError(SeqkitError, ValueError):
    """A configuration value, or a combination of values, is invalid."""


class DataError(SeqkitError, ValueError):
    """Input data is missing, malformed, or too short for the requested windows."""


class RunError(SeqkitError, RuntimeError):
    """A run directory is missing, incomplete, or inconsistent."""
