"""``road_status``: a road's status as a Logistics Cluster / WFP road-status layer gives it.

Fields: ``status`` (``Closed`` or ``Restricted``, the layers' vocabulary; an ``Open`` road needs no
event), ``line = [[lon, lat], ...]`` (the road as the layer draws it) and ``within_km``: the network's
segments that run along the line (at least half of a segment's length within ``within_km`` of it) take
the status. ``within_km`` defaults to 0.5 km on an OpenStreetMap network and 5 km on the bundled
schematic one, whose roads are drawn straight between towns. Optional ``ref`` keeps only that road.

Effects (stated assumptions, replaced by an ``effect`` of the event's own): Closed: closed.
Restricted (passable with restrictions: escorts, checkpoints, heavy trucks held): half the capacity
and 1.5 × the travel time. ``siege import road-status`` writes these events from a layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from siege import validation
from siege.errors import SiegeInputError
from siege.network.attributes import has_ref
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.effects import Effect
from siege.scenario.events.base import Event, Fields

#: the layers' words → the effect siege gives them
STATUS_EFFECTS: dict[str, Effect] = {
    "closed": Effect(closed=True),
    "restricted": Effect(capacity_factor=0.5, delay_factor=1.5),
}
#: matching tolerance, km: OSM geometry follows the road; the schematic network draws it straight
WITHIN_KM = {"osm": 0.5, "schematic": 5.0}


class RoadStatus(Event):
    KIND: ClassVar[str] = "road_status"
    FIELDS: ClassVar[tuple[str, ...]] = ("status", "line", "within_km", "ref")
    DEFAULT_DURATION_DAYS: ClassVar[int] = 7  # a weekly layer: a status holds until the next one

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        status = f.text("status", limit=40).strip().lower()
        if status not in STATUS_EFFECTS:
            extra = " (an Open road needs no event)" if status == "open" else ""
            raise SiegeInputError(f.at("status"), f"expected Closed or Restricted{extra}, got {f.raw['status']!r}")
        coords = _line(f.raw.get("line"), f.at("line"))
        default = WITHIN_KM["schematic" if ctx.G.graph.get("schematic") else "osm"]
        within = f.number("within_km", default, maximum=validation.MAX_RADIUS_KM)
        edges = ctx.along(coords, within)
        ref = f.text("ref") if f.has("ref") else None
        if ref:
            edges = {e for e in edges if has_ref(ctx.G.edges[e].get("ref"), ref)}
        label = f"road {status}{f' ({ref})' if ref else ''}"
        return label, edges, {"params": {"status": status}}

    @classmethod
    def parse(cls, index: int, raw: Mapping[str, Any], where: str, ctx: NetworkContext) -> Event:
        event = super().parse(index, raw, where, ctx)
        if "effect" in raw:
            return event
        return dataclasses.replace(event, effect=STATUS_EFFECTS[event.param("status")])


def _line(value: Any, where: str) -> list[tuple[float, float]]:
    ok = isinstance(value, list) and len(value) >= 2
    points = []
    for p in value if ok else []:
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(c, (int, float)) for c in p)):
            ok = False
            break
        lon, lat = float(p[0]), float(p[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            ok = False
            break
        points.append((lon, lat))
    if not ok:
        raise SiegeInputError(where, "expected a line of at least two [lon, lat] points")
    return points
