"""Errors a user can fix: bad files, bad names, bad options.

The CLI prints them as one line and exits with code 2; nothing else in siege catches them.
"""

from __future__ import annotations


class SiegeInputError(ValueError):
    """Bad input: the message names the file (or name), the field, and what was expected."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = _one_line(where, 300)
        self.problem = _one_line(problem, 600)
        super().__init__(f"{self.where}: {self.problem}")


def _one_line(text: str, limit: int) -> str:
    """Errors are one line of bounded length, whatever text an input put into them."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
