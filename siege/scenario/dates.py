"""Dates in scenario files: ISO days (``2024-02-27``) or months (``2024-02``, the whole month)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from siege.errors import SiegeInputError
from siege.validation import check_date, show

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(value: object, where: str, *, end: bool = False) -> dt.date:
    """A ``datetime.date`` from a TOML date or an ISO string; a month means its first day, or its
    last day when ``end`` is true (so ``end = "2024-02"`` covers all of February). Dates outside
    the supported range (:data:`siege.validation.EARLIEST_DATE` … ``LATEST_DATE``) are refused."""
    if isinstance(value, dt.datetime):
        return check_date(value.date(), where)
    if isinstance(value, dt.date):
        return check_date(value, where)
    if isinstance(value, str) and len(value) < 40:
        m = _MONTH.match(value.strip())
        try:
            if m:
                year, month = int(m.group(1)), int(m.group(2))
                day = calendar.monthrange(year, month)[1] if end and 1 <= month <= 12 else 1
                return check_date(dt.date(year, month, day), where)
            return check_date(dt.date.fromisoformat(value.strip()), where)
        except ValueError:  # year 0, month 13, 2024-02-30 …
            pass
    raise SiegeInputError(where, f"expected a date like 2024-02-27 or a month like 2024-02, got {show(value)}")
