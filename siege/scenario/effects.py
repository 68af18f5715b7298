"""What an event does to a road segment, and how several effects on one segment compose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from siege.errors import SiegeInputError
from siege.validation import MAX_FACTOR, MAX_TRUCKS_PER_DAY, number, show

EFFECT_FIELDS = ("capacity_factor", "delay_factor", "risk", "capacity_trucks_per_day")


@dataclass(frozen=True)
class Effect:
    """``closed`` segments carry nothing; otherwise capacity is multiplied by ``capacity_factor``
    (0–1), travel time by ``delay_factor`` (≥ 1), and a convoy is stopped with probability ``risk``;
    ``capacity_trucks_per_day`` caps the trucks that get through (an escort's pace, a checkpoint's
    quota), whatever the road could carry."""

    closed: bool = False
    capacity_factor: float = 1.0
    delay_factor: float = 1.0
    risk: float = 0.0
    capacity_trucks_per_day: float | None = None

    def describe(self) -> str:
        """Short text for reports and tooltips."""
        if self.closed:
            return "closed"
        parts = []
        if self.capacity_factor != 1.0:
            parts.append(f"capacity ×{self.capacity_factor:g}")
        if self.delay_factor != 1.0:
            parts.append(f"delay ×{self.delay_factor:g}")
        if self.risk:
            parts.append(f"risk {self.risk:.0%}")
        if self.capacity_trucks_per_day is not None:
            parts.append(f"at most {self.capacity_trucks_per_day:g} trucks/day")
        return ", ".join(parts) or "no effect"


CLOSE = Effect(closed=True)


#: ``(field, low, high)`` for effect fields given as a range ``[low, high]``
EffectRanges = tuple[tuple[str, float, float], ...]


def parse_effect(value: object, where: str) -> tuple[Effect, EffectRanges]:
    """``"close"`` or a table of any of ``capacity_factor``, ``delay_factor``, ``risk``.

    A field may be a range ``[low, high]`` (uncertain): the effect then takes the middle of the range
    and the range is returned for sweeps to draw from.
    """
    if value == "close":
        return CLOSE, ()
    if not isinstance(value, Mapping):
        raise SiegeInputError(where, 'expected "close" or a table like {capacity_factor = 0.5, risk = 0.2}')
    unknown = set(value) - set(EFFECT_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise SiegeInputError(f"{where}.{name}", f"unknown effect field (expected {', '.join(EFFECT_FIELDS)})")
    if not value:
        raise SiegeInputError(where, f'empty effect (expected "close" or any of {", ".join(EFFECT_FIELDS)})')
    numbers, ranges = {}, []
    for key, given in value.items():
        bounds = given if isinstance(given, list) else [given]
        if len(bounds) not in (1, 2):
            raise SiegeInputError(f"{where}.{key}", f"expected a number or a range [low, high], got {show(given)}")
        lo, hi = (_field(key, b, f"{where}.{key}") for b in (bounds[0], bounds[-1]))
        if hi < lo:
            raise SiegeInputError(f"{where}.{key}", f"range [{lo:g}, {hi:g}] has its high end below its low end")
        numbers[key] = (lo + hi) / 2
        if len(bounds) == 2 and hi > lo:
            ranges.append((key, lo, hi))
    return Effect(**numbers), tuple(ranges)


def _field(key: str, value: object, where: str) -> float:
    """One bound of an effect field: a factor or probability from 0 to 1, or a delay factor from 1 to
    :data:`siege.validation.MAX_FACTOR` (a convoy taking a thousand times longer is as good as closed)."""
    if key == "delay_factor":
        return number(value, where, minimum=1.0, strict=False, maximum=MAX_FACTOR)
    if key == "capacity_trucks_per_day":
        return number(value, where, strict=False, maximum=MAX_TRUCKS_PER_DAY, expected="trucks/day, 0 or more")
    what = "a probability" if key == "risk" else "a number"
    return number(value, where, strict=False, maximum=1.0, expected=f"{what} from 0 to 1")


def compose(effects: Iterable[Effect]) -> Effect:
    """Effects active together on one segment: closed if any closes it; capacity and delay factors
    multiply; risks combine as independent stops, 1 − Π(1 − rᵢ). The one place this rule lives."""
    closed, capacity, delay, survive, cap = False, 1.0, 1.0, 1.0, None
    for e in effects:
        closed = closed or e.closed
        capacity *= e.capacity_factor
        delay *= e.delay_factor
        survive *= 1.0 - e.risk
        if e.capacity_trucks_per_day is not None:
            cap = e.capacity_trucks_per_day if cap is None else min(cap, e.capacity_trucks_per_day)
    risk = 1.0 - survive
    if risk >= 1.0 or capacity <= 0.0 or cap == 0:
        closed = True  # a segment nobody gets through is closed
    return Effect(closed=closed, capacity_factor=capacity, delay_factor=delay, risk=risk, capacity_trucks_per_day=cap)
