"""``cut``: one segment destroyed at a point — a bridge blown, a road cut by a trench.

Fields: ``place`` or ``lat``/``lon``; optional ``ref`` (only segments of that road) and
``bridge = true`` (only bridge segments); ``max_distance_km`` (default 10): the nearest such segment
within that distance is cut. With ``mode = "air"`` and a ``place``, the airport serving it is closed
(every air leg of it); ``mode = "river"`` cuts the river reach nearest the point, ``mode = "ferry"``
the ferry. Default effect: close.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege import validation
from siege.errors import SiegeInputError
from siege.network.attributes import has_ref
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.attack import airport_at, point_or_place
from siege.scenario.events.base import Event, Fields


class Cut(Event):
    KIND: ClassVar[str] = "cut"
    FIELDS: ClassVar[tuple[str, ...]] = ("place", "lat", "lon", "ref", "bridge", "max_distance_km")

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        if f.mode() == "air" and f.has("place"):  # an airport closed: every leg of it
            name, edges, details = airport_at(f, ctx)
            return f"airport of {name} closed", edges, details
        lon, lat, label = point_or_place(f, ctx)
        max_km = f.number("max_distance_km", 10.0, maximum=validation.MAX_RADIUS_KM)
        ctx.check_in_extent(lon, lat, max_km, f.at("lat" if f.has("lat") else "place"))
        bridge = f.raw.get("bridge", False)
        if not isinstance(bridge, bool):
            raise SiegeInputError(f.at("bridge"), f"expected true or false, got {validation.show(bridge)}")
        ref = f.text("ref") if f.has("ref") else None
        candidates = None
        if ref or bridge:
            candidates = {
                (u, v, k)
                for u, v, k, d in ctx.G.edges(keys=True, data=True)
                if (not ref or has_ref(d.get("ref"), ref)) and (not bridge or d.get("bridge") in ("yes", True))
            }
        edges, km = ctx.nearest(lon, lat, max_km, keys=candidates)
        what = " ".join(x for x in ("bridge" if bridge else "segment", f"on {ref}" if ref else "") if x)
        if not edges or km > max_km:
            raise SiegeInputError(f.where, f"no {what} within {max_km:g} km of {label}")
        return f"cut {what} at {label}", edges, {"point": (lon, lat), "distance_km": round(km, 2)}
