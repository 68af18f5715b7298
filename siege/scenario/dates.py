"""Dates in scenario files: ISO days (``2024-02-27``) or months (``2024-02``, the whole month)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from siege.errors import SiegeInputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(value: object, where: str, *, end: bool = False) -> dt.date:
    """A ``datetime.date`` from a TOML date or an ISO string; a month means its first day, or its
    last day when ``end`` is true (so ``end = "2024-02"`` covers all of February)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _MONTH.match(value.strip())
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                day = calendar.monthrange(year, month)[1] if end else 1
                return dt.date(year, month, day)
        else:
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
    raise SiegeInputError(where, f"expected a date like 2024-02-27 or a month like 2024-02, got {value!r}")
