"""``attack`` / ``ambush``: violence at a town, a point, or on the road between two towns.

Fields: ``place`` (a town) or ``lat``/``lon``, with ``radius_km`` (default 10: the segments passing
that close are hit); or ``between = [town, town]`` (the road route between them, along ``ref`` if
given). ``mode`` picks the segments (road by default: roads and their ferries; ``river``: the reaches,
``between`` two ports; ``air`` with ``place``: the airport's flights). Default effect: risk 0.5 and
delay ×1.5 (convoys wait for escorts); a one-day attack acts for ``duration_days`` (default 30:
traffic stays scarce for weeks after an attack).
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege import validation
from siege.errors import SiegeInputError
from siege.network.attributes import has_ref
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.effects import Effect
from siege.scenario.events.base import Event, Fields


class Attack(Event):
    KIND: ClassVar[str] = "attack"
    FIELDS: ClassVar[tuple[str, ...]] = ("place", "lat", "lon", "radius_km", "between", "ref")
    DEFAULT_EFFECT: ClassVar[Effect] = Effect(risk=0.5, delay_factor=1.5)
    DEFAULT_DURATION_DAYS: ClassVar[int] = 30
    DEFAULT_RADIUS_KM: ClassVar[float] = 10.0

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        kind = f.raw["kind"]
        ref = f.text("ref") if f.has("ref") else None
        if f.has("between"):
            if f.has("place") or f.has("lat"):
                raise SiegeInputError(f.at("between"), "give either between or place/lat/lon, not both")
            a, b = f.names("between", 2)
            return f"{kind} between {a} and {b}", ctx.stretch(a, b, f.at("between"), ref=ref), {"between": f"{a} – {b}"}
        if f.mode() == "air" and f.has("place"):  # an airport shelled: its flights
            name, edges, details = airport_at(f, ctx)
            return f"{kind} on the airport of {name}", edges, details
        radius = f.number("radius_km", cls.DEFAULT_RADIUS_KM, maximum=validation.MAX_RADIUS_KM)
        lon, lat, label = point_or_place(f, ctx)
        ctx.check_in_extent(lon, lat, radius, f.at("lat" if f.has("lat") else "place"))
        edges = ctx.within(lon, lat, radius)
        if ref:
            edges = {e for e in edges if has_ref(ctx.G.edges[e].get("ref"), ref)}
        return f"{kind} at {label}", edges, {"circles": ((lon, lat, radius),)}


def airport_at(f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
    """The airport serving ``place`` (on the air context): its name, every flight of it, its point."""
    place = ctx.gazetteer.get(f.text("place"), f.at("place"))
    return place.name, ctx.airport_legs(place.name, f.at("place")), {"point": (place.lon, place.lat)}


def point_or_place(f: Fields, ctx: NetworkContext) -> tuple[float, float, str]:
    """``(lon, lat, label)`` from either ``place`` or ``lat``/``lon``."""
    if f.has("place") == (f.has("lat") or f.has("lon")):
        raise SiegeInputError(f.where, "give either place or lat and lon")
    if f.has("place"):
        place = ctx.gazetteer.get(f.text("place"), f.at("place"))
        if not place.located:
            raise SiegeInputError(f.at("place"), f"{place.name} has no known position; give lat and lon")
        return place.lon, place.lat, place.name
    lon, lat = f.point()
    return lon, lat, f"{lat:.3f}, {lon:.3f}"
