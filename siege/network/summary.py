"""A planner's summary of a road network: size, km of road per class and per ``ref``, components, places."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from siege import settings
from siege.network.attributes import road_class
from siege.places import Place, SnappedPlace, snap_places


@dataclass
class NetworkSummary:
    """What ``siege network info`` prints."""

    source: str
    schematic: bool
    nodes: int
    edges: int
    road_km: float
    km_by_class: dict[str, float]
    km_by_ref: dict[str, float]
    weak_components: int
    strong_components: int
    largest_strong_component_nodes: int
    max_snap_km: float
    places: list[SnappedPlace] = field(default_factory=list)
    #: node references of ways that pointed outside a clipped extract (the ways were split there)
    dropped_node_refs: int = 0
    #: km per mode (road, ferry, river, air legs), and the airports
    km_by_mode: dict[str, float] = field(default_factory=dict)
    airports: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        data = {k: v for k, v in self.__dict__.items() if k != "places"}
        data["places"] = [
            {
                "name": s.place.name,
                "kind": s.place.kind,
                "node": s.node,
                "snap_km": s.snap_km,
                "snapped": s.snapped,
                "position": s.place.position,
            }
            for s in self.places
        ]
        return data


def road_km(G: nx.MultiDiGraph) -> tuple[float, dict[str, float], dict[str, float]]:
    """Total km of road, and km per road class and per ``ref`` (two-way roads counted once; river,
    ferry and air edges are not road: see :func:`mode_km`)."""
    import osmnx as ox  # heavy to import: only where it is used

    U = ox.convert.to_undirected(G)
    by_class: dict[str, float] = defaultdict(float)
    by_ref: dict[str, float] = defaultdict(float)
    total = 0.0
    for _, _, data in U.edges(data=True):
        if data.get("mode", "road") != "road":
            continue
        km = float(data.get("length", 0.0)) / 1000.0
        total += km
        by_class[road_class(data.get("highway"))] += km
        for ref in data.get("ref", []):
            by_ref[ref] += km
    return round(total, 1), _rounded(by_class), _rounded(by_ref)


def mode_km(G: nx.MultiDiGraph) -> dict[str, float]:
    """Km per mode (two-way edges counted once)."""
    import osmnx as ox  # heavy to import: only where it is used

    U = ox.convert.to_undirected(G)
    out: dict[str, float] = defaultdict(float)
    for _, _, data in U.edges(data=True):
        out[data.get("mode", "road")] += float(data.get("length", 0.0)) / 1000.0
    return _rounded(out)


def _rounded(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))}


def network_summary(
    G: nx.MultiDiGraph, places: Iterable[Place] = (), *, max_snap_km: float = settings.MAX_SNAP_KM
) -> NetworkSummary:
    """Summarise ``G`` and snap ``places`` onto it (distances kept; far places reported)."""
    total, by_class, by_ref = road_km(G)
    strong = list(nx.strongly_connected_components(G))
    return NetworkSummary(
        source=str(G.graph.get("source", "")),
        schematic=bool(G.graph.get("schematic", False)),
        nodes=G.number_of_nodes(),
        edges=G.number_of_edges(),
        road_km=total,
        km_by_class=by_class,
        km_by_ref=by_ref,
        weak_components=nx.number_weakly_connected_components(G),
        strong_components=len(strong),
        largest_strong_component_nodes=max((len(c) for c in strong), default=0),
        max_snap_km=max_snap_km,
        places=snap_places(G, places, max_snap_km=max_snap_km),
        dropped_node_refs=int(G.graph.get("dropped_node_refs", 0)),
        km_by_mode=mode_km(G),
        airports=sorted({str(a) for _, a in G.nodes(data="airport") if a}),
    )


_EDGE_COUNTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def edge_count(G: nx.MultiDiGraph) -> int:
    """``G.number_of_edges()``, counted once per graph: networkx walks every node's adjacency each
    time (a second on a national extract), and a loaded network is never changed."""
    if G not in _EDGE_COUNTS:
        _EDGE_COUNTS[G] = G.number_of_edges()
    return _EDGE_COUNTS[G]
