"""Carrying several config problems through pydantic in one exception."""

from __future__ import annotations


class ConfigProblems(ValueError):
    """Raised inside a validator to report several `(dotted path, message)` problems.

    Pydantic keeps the exception in the error's context, so the loader can list
    each problem under its own path instead of one joined string.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in self.problems))
