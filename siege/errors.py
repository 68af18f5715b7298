"""Errors a user can fix: bad files, bad names, bad options.

The CLI prints them as one line and exits with code 2; nothing else in siege catches them.
"""

from __future__ import annotations


class SiegeInputError(ValueError):
    """Bad input: the message names the file (or name), the field, and what was expected."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
