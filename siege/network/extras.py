"""What an OSM extract holds besides its road ways: road route relations' refs, place nodes and
aerodromes. :func:`siege.network.osm.read_extras` reads them in passes of their own (OSM XML);
:func:`siege.network.pbf.build_graph` in its one pass over a PBF, object by object, with the same
functions here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siege.network import modes
from siege.network.attributes import parse_ref

#: ``place`` values that name a town a scenario can use
PLACE_KINDS = ("city", "town", "village")


@dataclass
class OsmExtras:
    """What an extract holds besides its road ways, read with pyosmium."""

    relation_refs: dict[int, list[str]] = field(default_factory=dict)  # way id -> refs of its road routes
    places: list[dict] = field(default_factory=list)  # place nodes: name, names, kind, population, capital, lat, lon
    airports: list[modes.Airport] = field(default_factory=list)  # aeroway=aerodrome nodes and areas
    dropped_refs: int = 0  # node references of ways that point outside a clipped extract

    def add_relation(self, rel: Any) -> None:
        """Record the refs of a ``route=road`` relation on its member ways (other relations: nothing)."""
        if rel.tags.get("route") != "road" or not rel.tags.get("ref"):
            return
        refs = parse_ref(rel.tags.get("ref"))
        for member in rel.members:
            if member.type == "w":
                have = self.relation_refs.setdefault(member.ref, [])
                have.extend(r for r in refs if r not in have)

    def add_place(self, node: Any) -> None:
        """Record a named ``place`` node of a town kind (others: nothing)."""
        tags = node.tags
        if tags.get("place") not in PLACE_KINDS or not tags.get("name") or not node.location.valid():
            return
        self.places.append(
            {
                "name": tags.get("name"),
                "alt_names": [n for n in (tags.get("name:fr"), tags.get("name:en")) if n],
                "kind": tags.get("place"),
                "population": tags.get("population"),
                "capital": tags.get("capital"),
                "lat": node.location.lat,
                "lon": node.location.lon,
            }
        )

    def add_aerodrome(self, obj: Any) -> None:
        """Record a named ``aeroway=aerodrome`` node, or area at the mean of its nodes (ways need
        their node locations)."""
        tags = obj.tags
        if tags.get("aeroway") != "aerodrome" or not tags.get("name"):
            return
        if obj.is_node():
            if not obj.location.valid():
                return
            lon, lat = obj.location.lon, obj.location.lat
        else:
            points = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if not points:
                return
            lon, lat = (sum(c) / len(points) for c in zip(*points, strict=True))
        kind = tags.get("aerodrome") or tags.get("aerodrome:type") or ""
        hub = kind == "international"
        self.airports.append(
            modes.Airport(
                name=tags.get("name"),
                lon=lon,
                lat=lat,
                hub=hub,
                payload_t_per_day=modes.AIR_PAYLOAD_T_PER_DAY["international" if hub else "other"],
                code=tags.get("icao") or tags.get("iata") or "",
            )
        )
