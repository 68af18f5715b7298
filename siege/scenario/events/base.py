"""What every event has: a kind, a time window, an effect, its sources, and the segments it hits.

An event kind is one small module with a subclass of :class:`Event` that declares its own fields
and implements :meth:`Event.select`; it is registered in ``siege/scenario/events/__init__.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from siege import validation
from siege.errors import SiegeInputError
from siege.scenario.commodities import parse_commodity_list
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.dates import parse_date
from siege.scenario.effects import Effect, EffectRanges, parse_effect

COMMON_FIELDS = (
    "kind",
    "name",
    "date",
    "start",
    "end",
    "duration_days",
    "effect",
    "source",
    "note",
    "probability",
    "every_days",
    "lasts_days",
    "rate_per_week",
    "commodities",
    "mode",
)


class Fields:
    """Typed access to one event's TOML table, with errors naming file, event index and field."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def at(self, name: str) -> str:
        """Location text of a field, e.g. ``scenario.toml: events[2].radius_km``."""
        return f"{self.where}.{name}"

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str, default: str | None = None, *, limit: int = validation.MAX_TEXT_CHARS) -> str:
        return validation.text(self.raw.get(name, default), self.at(name), limit=limit, required=default is None)

    def number(
        self, name: str, default: float | None = None, *, positive: bool = True, maximum: float = math.inf
    ) -> float:
        """A finite number (above 0 when ``positive``), at most ``maximum``."""
        value = self.raw.get(name, default)
        if positive:
            return validation.number(value, self.at(name), maximum=maximum)
        return validation.number(value, self.at(name), minimum=-maximum, strict=False, maximum=maximum)

    def names(self, name: str, count: int | None = None) -> list[str]:
        value = self.raw.get(name)
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value) and value
        if not ok or (count is not None and len(value) != count):
            shape = f"a list of {count} place names" if count else "a list of place names"
            raise SiegeInputError(self.at(name), f"expected {shape}, got {validation.show(value)}")
        return value

    def mode(self) -> str:
        """The ``mode`` field: road (default), river, ferry or air."""
        from siege.network.modes import MODES

        value = self.raw.get("mode", "road")
        if value not in MODES:
            raise SiegeInputError(self.at("mode"), f"expected one of {', '.join(MODES)}, got {validation.show(value)}")
        return value

    def point(self) -> tuple[float, float]:
        """``(lon, lat)`` from ``lat`` and ``lon`` fields."""
        lat, lon = self.number("lat", positive=False, maximum=1e6), self.number("lon", positive=False, maximum=1e6)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SiegeInputError(self.at("lat"), "expected lat in -90..90 and lon in -180..180")
        return lon, lat


@dataclass(frozen=True)
class Event:
    """One attack, blockade, control zone or cut, resolved to the segments it hits."""

    KIND: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()
    DEFAULT_EFFECT: ClassVar[Effect] = Effect(closed=True)
    #: whether the event acts on road segments (and must hit at least one) and degrades them;
    #: convoys, town blockades and rationing act on towns, escorts protect segments instead
    NEEDS_SEGMENTS: ClassVar[bool] = True
    DEGRADES: ClassVar[bool] = True
    TAKES_EFFECT: ClassVar[bool] = True
    #: whether the event acts on stocks (a convoy's pulse): it needs a run through time
    ACTS_ON_STOCKS: ClassVar[bool] = False
    #: how long a one-day event (``date`` without ``end``) keeps acting, in days
    DEFAULT_DURATION_DAYS: ClassVar[int] = 1
    #: whether the event takes ``mode`` (road, river, ferry, air): the segments it selects are of
    #: that mode (default road: roads and their ferries); kinds acting on towns take none
    TAKES_MODE: ClassVar[bool] = True
    #: whether the segments are selected on that mode's network here (a convoy reads its mode itself)
    SELECTS_BY_MODE: ClassVar[bool] = True

    index: int
    kind: str
    label: str
    start: dt.date | None
    end: dt.date | None
    effect: Effect
    source: str = ""
    note: str = ""
    edges: frozenset[EdgeKey] = field(default_factory=frozenset)
    #: what to draw: ``circles`` ((lon, lat, radius_km), ...), ``polygon`` (GeoJSON), ``point`` (lon, lat)
    details: tuple[tuple[str, Any], ...] = ()
    #: uncertainty, for sweeps: the chance the event happens at all, and effect fields given as ranges
    probability: float = 1.0
    effect_ranges: EffectRanges = ()
    #: recurrence within the window: an occurrence every ``every_days`` days lasting ``lasts_days``;
    #: or, for sweeps, at random ``rate_per_week`` times a week (a run uses every 7/rate days)
    every_days: int | None = None
    lasts_days: int = 1
    rate_per_week: float | None = None
    #: the days a drawn variant of a random recurrence acts (set by sweeps)
    active_days: frozenset[dt.date] | None = None
    #: the commodities the event acts on (``None``: every commodity), e.g. a ban on fuel tankers
    commodities: frozenset[str] | None = None
    #: fields of the event's own kind (convoy size, escort capacity, rationing factor …)
    params: tuple[tuple[str, Any], ...] = ()

    def targets(self, commodity: str | None) -> bool:
        """Whether the event acts on ``commodity`` (``None``: asked for all traffic)."""
        return commodity is None or self.commodities is None or commodity in self.commodities

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    def describe(self) -> str:
        """What the event does, in a few words (kinds that act on towns or convoys say it their way)."""
        text = self.effect.describe()
        return f"{text} (for {', '.join(sorted(self.commodities))} only)" if self.commodities else text

    def active_on(self, day: dt.date | None) -> bool:
        """Whether the event acts on ``day`` (every event acts when no day is given)."""
        if day is None:
            return True
        if not ((self.start is None or self.start <= day) and (self.end is None or day <= self.end)):
            return False
        if self.active_days is not None:
            return day in self.active_days
        if self.every_days and self.start is not None:
            return (day - self.start).days % self.every_days < self.lasts_days
        return True

    def window(self) -> str:
        """The time window as text."""
        if self.start is None and self.end is None:
            return "always"
        return f"{self.start or '…'} to {self.end or 'open end'}"

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        """Return a label, the segments hit, and details for reports. Subclasses implement it."""
        raise NotImplementedError

    @classmethod
    def parse(cls, index: int, raw: Mapping[str, Any], where: str, ctx: NetworkContext) -> Event:
        """Validate one ``[[events]]`` table and resolve it against the network."""
        f = Fields(raw, where)
        unknown = [k for k in raw if k not in COMMON_FIELDS + cls.FIELDS]
        if unknown:
            allowed = ", ".join(COMMON_FIELDS + cls.FIELDS)
            raise SiegeInputError(f.at(unknown[0]), f"unknown field for a {raw['kind']} event (expected {allowed})")
        if f.has("effect") and not cls.TAKES_EFFECT:
            raise SiegeInputError(f.at("effect"), f"a {raw['kind']} event has no effect field (see its own fields)")
        start, end = _window(f, cls.DEFAULT_DURATION_DAYS)
        effect, ranges = parse_effect(raw["effect"], f.at("effect")) if "effect" in raw else (cls.DEFAULT_EFFECT, ())
        recurrence = _recurrence(f, start)
        mode = f.mode() if cls.TAKES_MODE else None
        if f.has("mode") and not cls.TAKES_MODE:
            raise SiegeInputError(f.at("mode"), f"a {raw['kind']} event acts on towns and takes no mode")
        if cls.SELECTS_BY_MODE and cls.TAKES_MODE:
            try:
                select_ctx = ctx.for_mode(mode)
            except SiegeInputError as err:
                raise SiegeInputError(f.at("mode"), err.problem) from None
        else:
            select_ctx = ctx
        label, edges, details = cls.select(f, select_ctx)
        if not edges and cls.NEEDS_SEGMENTS:
            what = "road segment" if mode in (None, "road") else f"{mode} segment"
            raise SiegeInputError(where, f"{label}: the event hits no {what}")
        if mode not in (None, "road"):
            details.setdefault("mode", mode)
        commodities = parse_commodity_list(raw["commodities"], f.at("commodities")) if f.has("commodities") else None
        params = tuple(details.pop("params", {}).items())
        if f.has("name"):
            label = f.text("name", limit=validation.MAX_NAME_CHARS)
        return cls(
            index=index,
            kind=raw["kind"],
            label=label,
            start=start,
            end=end,
            effect=effect,
            source=f.text("source", ""),
            note=f.text("note", ""),
            edges=frozenset(edges),
            details=tuple(details.items()),
            effect_ranges=ranges,
            commodities=commodities,
            params=params,
            **recurrence,
        )


def _recurrence(f: Fields, start: dt.date | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if f.has("probability"):
        p = f.number("probability", positive=False)
        if not 0.0 <= p <= 1.0:
            raise SiegeInputError(f.at("probability"), f"expected a probability from 0 to 1, got {p:g}")
        out["probability"] = p
    if f.has("every_days") and f.has("rate_per_week"):
        raise SiegeInputError(f.at("rate_per_week"), "give either every_days or rate_per_week, not both")
    for name in ("every_days", "lasts_days"):
        if f.has(name):
            value = f.raw[name]
            out[name] = int(
                validation.number(
                    value,
                    f.at(name),
                    minimum=1,
                    strict=False,
                    maximum=validation.MAX_DAYS,
                    integer=True,
                    expected=f"a whole number of days, at least 1 and at most {validation.MAX_DAYS:g}",
                )
            )
    if f.has("rate_per_week"):
        rate = f.number("rate_per_week")
        if rate > 7:
            raise SiegeInputError(f.at("rate_per_week"), "expected at most 7 occurrences a week")
        out["rate_per_week"] = rate
        out["every_days"] = max(1, round(7 / rate))
    if ("every_days" in out or "lasts_days" in out) and start is None:
        raise SiegeInputError(
            f.at("every_days" if "every_days" in out else "lasts_days"), "a recurring event needs a start"
        )
    if "lasts_days" in out and "every_days" not in out:
        raise SiegeInputError(f.at("lasts_days"), "lasts_days goes with every_days or rate_per_week")
    return out


def _window(f: Fields, default_days: int) -> tuple[dt.date | None, dt.date | None]:
    if f.has("date") and f.has("start"):
        raise SiegeInputError(f.at("date"), "give either date (with duration_days) or start/end, not both")
    start = (
        parse_date(f.raw["date"] if f.has("date") else f.raw["start"], f.at("date" if f.has("date") else "start"))
        if (f.has("date") or f.has("start"))
        else None
    )
    end = parse_date(f.raw["end"], f.at("end"), end=True) if f.has("end") else None
    if f.has("duration_days"):
        if end is not None:
            raise SiegeInputError(f.at("duration_days"), "give either end or duration_days, not both")
        if start is None:
            raise SiegeInputError(f.at("duration_days"), "duration_days needs a date or start")
        days = f.number("duration_days", maximum=validation.MAX_DAYS)
        end = validation.check_date(start + dt.timedelta(days=max(1, int(days)) - 1), f.at("duration_days"))
    elif f.has("date") and end is None:
        end = start + dt.timedelta(days=default_days - 1)
    if start is not None and end is not None and end < start:
        raise SiegeInputError(f.at("end"), f"ends ({end}) before it starts ({start})")
    return start, end
