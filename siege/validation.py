"""Checks every input goes through: numbers, texts, dates and the bounds of what a scenario may ask for.

One place, so that ``siege validate`` and ``siege run`` apply exactly the same rules, and so that an
error always names the file, the field and what was expected, with the offending value shortened.
The bounds are documented limits (README, "What siege promises about its inputs"), not tuning.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from siege.errors import SiegeInputError

#: Dates a scenario may use: a century either side of the present, no more.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
#: Longest period run day by day (ten years); the cost of a run through time grows with it.
MAX_PERIOD_DAYS = 3660
#: Longest text field (names are shorter: :data:`MAX_NAME_CHARS`); descriptions and notes fit easily.
MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 200
#: Deepest nesting of tables and lists in a scenario file, and the longest list.
MAX_DEPTH = 12
MAX_LIST_ITEMS = 100_000
#: Largest scenario file read, in bytes.
MAX_SCENARIO_BYTES = 5_000_000
#: Upper bounds of physical quantities (far above anything real, far below what overflows).
MAX_TRUCKS_PER_DAY = 1_000_000.0
MAX_RADIUS_KM = 5_000.0
MAX_DAYS = 36_600.0
MAX_FACTOR = 1_000.0
MAX_STOCK_DAYS = 3_650.0


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` shortened for an error message (a 1 MB name is not echoed whole)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(
    value: Any,
    where: str,
    *,
    minimum: float = 0.0,
    maximum: float = math.inf,
    strict: bool = True,
    integer: bool = False,
    expected: str | None = None,
) -> float:
    """A finite number in ``[minimum, maximum]`` (``minimum`` excluded when ``strict``); a one-line
    error naming ``where`` otherwise. Booleans, NaN, infinities and integers too large for a float fail."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and integer and not isinstance(value, int):
        ok = False
    if ok:
        try:
            x = float(value)
        except OverflowError:
            ok = False
        else:
            ok = math.isfinite(x) and (x > minimum if strict else x >= minimum) and x <= maximum
    if not ok:
        if expected is None:
            low = f"above {minimum:g}" if strict else f"at least {minimum:g}"
            high = f" and at most {maximum:g}" if math.isfinite(maximum) else ""
            expected = f"a {'whole ' if integer else ''}number {low}{high}"
        raise SiegeInputError(where, f"expected {expected}, got {show(value)}")
    return x


def text(value: Any, where: str, *, limit: int = MAX_TEXT_CHARS, required: bool = True) -> str:
    """A string of at most ``limit`` characters (non-blank when ``required``)."""
    if not isinstance(value, str) or (required and not value.strip()):
        raise SiegeInputError(where, f"expected text, got {show(value)}")
    if len(value) > limit:
        raise SiegeInputError(where, f"expected at most {limit:,} characters, got {len(value):,}")
    return value


def check_date(day: dt.date, where: str) -> dt.date:
    """A date within the supported range (:data:`EARLIEST_DATE` to :data:`LATEST_DATE`)."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise SiegeInputError(where, f"expected a date from {EARLIEST_DATE} to {LATEST_DATE}, got {day}")
    return day


def check_period(start: dt.date, end: dt.date, where: str) -> None:
    """A period run day by day is at most :data:`MAX_PERIOD_DAYS` long."""
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise SiegeInputError(
            where, f"expected a period of at most {MAX_PERIOD_DAYS:,} days (ten years), got {days:,} days"
        )


def check_structure(raw: Any, where: str) -> None:
    """Reject a parsed file nested deeper than :data:`MAX_DEPTH`, with a list longer than
    :data:`MAX_LIST_ITEMS` or a text longer than :data:`MAX_TEXT_CHARS` (before any field is read)."""
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SiegeInputError(where, f"{path or 'the file'} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, Mapping):
            stack.extend((v, f"{path}.{k}" if path else str(k)[:40], depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                raise SiegeInputError(f"{where}: {path}", f"expected at most {MAX_LIST_ITEMS:,} items")
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise SiegeInputError(
                f"{where}: {path}", f"expected at most {MAX_TEXT_CHARS:,} characters, got {len(value):,}"
            )
