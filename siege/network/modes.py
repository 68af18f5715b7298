"""Modes of transport on the network: road, ferry, river and air segments, and the airports and ports
that join them to the roads.

Every edge has a ``mode`` (:data:`MODES`). From OpenStreetMap data:

* ``road``: a way with a kept ``highway`` class;
* ``ferry``: a way tagged ``route=ferry`` (a river ferry, *bac*, joins the roads at its ends);
* ``river``: a ``waterway=river|canal`` way tagged navigable (``boat``, ``ship`` or ``motorboat`` =
  yes/designated, or a ``CEMT`` class). A river in OSM shares no node with the roads, so every town
  (``place`` node on the road graph) within :data:`PORT_LINK_KM` of a navigable river gets a short
  port link to it, of mode river: there trucks hand over to boats;
* ``air``: legs between airports (``aeroway=aerodrome``), each snapped to the road node nearest it.
  Hubs are the aerodromes tagged ``aerodrome=international`` (or ``aerodrome:type``); every other
  airport has a leg to each hub, and hubs to each other. A leg's payload (t/day) is the smaller of its
  airports' (:data:`AIR_PAYLOAD_T_PER_DAY`, by kind of airport; the bundled network gives its own per
  airport, ``networks/mali/airports.csv``).

The bundled network writes ``siege:mode`` on its river reaches and air legs (and ``siege:crossing =
ferry`` on a road leg that crosses the Niger by ferry, as the RN39 at Korioumé). Trucks never fly:
the supply model's lanes use road, ferry and river (a truck's load goes on a boat at a port); only a
convoy or airlift with ``mode = "air"`` uses the air legs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from siege.network.geometry import great_circle_m

#: the modes of an edge
MODES: tuple[str, ...] = ("road", "ferry", "river", "air")
#: modes a truck's load moves by (supply lanes): everything but air
TRUCK_MODES: frozenset[str] = frozenset({"road", "ferry", "river"})
#: the roads and the ferries on them: what a truck drives, what an event selects by default
ROAD_MODES: frozenset[str] = frozenset({"road", "ferry"})
#: what an event's ``mode`` selects (default ``road``: roads and the ferries on them)
SELECTS: dict[str, frozenset[str]] = {
    "road": ROAD_MODES,
    "ferry": frozenset({"ferry"}),
    "river": frozenset({"river"}),
    "air": frozenset({"air"}),
}
#: what a convoy of each mode travels on
CONVOY_MODES: dict[str, frozenset[str]] = {
    "road": ROAD_MODES,
    "river": frozenset({"river"}),
    "air": frozenset({"air"}),
}
NAVIGABLE_WATERWAYS = frozenset({"river", "canal"})
_YES = frozenset({"yes", "designated", "permissive"})
#: a town this close to a navigable river is its port (km)
PORT_LINK_KM: float = 3.0
#: payload per day of an airport of an OSM extract, by its ``aerodrome`` tag (tonnes): assumptions,
#: one heavy transport rotation (C-130 class, ~20 t) a day at an international airport, one light
#: aircraft rotation (Let 410 / Dornier 228, ~2 t) elsewhere. For scale, UNHAS flew ~40 t of light
#: cargo in seven months of 2020 to ten Malian airports (airports.csv, OCHA).
AIR_PAYLOAD_T_PER_DAY: dict[str, float] = {"international": 20.0, "other": 2.0}
#: tonnes in a truck-equivalent of air or river capacity (the edge schema counts trucks a day): a food
#: truck's 18.5 t (networks/mali/commodities.csv)
TONNES_PER_TRUCK_EQUIVALENT: float = 18.5


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "").strip().lower()


def way_mode(tags: Mapping[str, Any]) -> str | None:
    """The non-road mode of an OSM way's tags (``ferry``, ``river``), ``None`` for any other way."""
    if "siege:mode" not in tags and "route" not in tags and "waterway" not in tags:  # a plain road
        return None
    given = _first(tags.get("siege:mode"))
    if given in MODES and given != "road":
        return given
    if _first(tags.get("route")) == "ferry":
        return "ferry"
    if _first(tags.get("waterway")) in NAVIGABLE_WATERWAYS and navigable(tags):
        return "river"
    return None


def navigable(tags: Mapping[str, Any]) -> bool:
    """Whether a waterway's tags say boats carry goods on it."""
    return any(_first(tags.get(k)) in _YES for k in ("boat", "ship", "motorboat")) or bool(_first(tags.get("CEMT")))


def edge_mode(data: Mapping[str, Any]) -> str:
    """The mode of an edge (its ``mode`` when set, else from its OSM tags; ``road`` otherwise)."""
    mode = data.get("mode")
    if mode in MODES:
        return mode
    return way_mode(data) or "road"


def crosses_by_ferry(data: Mapping[str, Any]) -> bool:
    """Whether a road edge includes a ferry crossing (the bundled network's ``siege:crossing``)."""
    if "siege:crossing" not in data and "crossing_by" not in data:
        return False
    return _first(data.get("siege:crossing") or data.get("crossing_by")) == "ferry"


def selected(data: Mapping[str, Any], mode: str) -> bool:
    """Whether an event's ``mode`` selects this edge (``ferry`` also selects roads crossing by ferry)."""
    m = edge_mode(data)
    return m in SELECTS[mode] or (mode == "ferry" and crosses_by_ferry(data))


def modes_present(G: nx.MultiDiGraph) -> set[str]:
    """The modes of a graph's edges."""
    return {d.get("mode", "road") for _, _, d in G.edges(data=True)}


@dataclass(frozen=True)
class Airport:
    """An aerodrome: its name, position, whether it is a hub, and its payload per day (t)."""

    name: str
    lon: float
    lat: float
    hub: bool
    payload_t_per_day: float
    code: str = ""


def link_ports(G: nx.MultiDiGraph, *, max_km: float = PORT_LINK_KM) -> int:
    """Join every town on the roads within ``max_km`` of a river edge's node to the nearest such
    node, both ways, by a port link of mode river (in place). Returns how many towns got a port."""
    river_nodes = sorted({n for u, v, m in G.edges(data="mode") if m == "river" for n in (u, v)})
    if not river_nodes:  # most extracts: no pass over the roads
        return 0
    road_nodes = {n for u, v, m in G.edges(data="mode") if m in ROAD_MODES for n in (u, v)}
    towns = [n for n, d in G.nodes(data=True) if d.get("place") and n in road_nodes and n not in river_nodes]
    if not towns:
        return 0
    rx = np.array([G.nodes[n]["x"] for n in river_nodes])
    ry = np.array([G.nodes[n]["y"] for n in river_nodes])
    linked = 0
    for t in towns:
        x, y = G.nodes[t]["x"], G.nodes[t]["y"]
        km = great_circle_m(y, x, ry, rx) / 1000.0
        i = int(np.argmin(km))
        if km[i] > max_km:
            continue
        r = river_nodes[i]
        for a, b in ((t, r), (r, t)):
            line = LineString([(G.nodes[a]["x"], G.nodes[a]["y"]), (G.nodes[b]["x"], G.nodes[b]["y"])])
            G.add_edge(
                a,
                b,
                mode="river",
                port="yes",
                length=max(float(km[i]) * 1000.0, 1.0),
                geometry=line,
                name=f"port of {G.nodes[t].get('name', t)}",
                highway="",
                oneway=False,
            )
        linked += 1
    return linked


def add_air_legs(G: nx.MultiDiGraph, airports: Iterable[Airport], *, max_snap_km: float) -> list[str]:
    """Air legs between ``airports`` (in place): each airport is snapped to the nearest road node
    within ``max_snap_km``; every airport gets a leg to each hub, both ways. Returns the names of the
    airports left out (no road node near them)."""
    road = sorted({n for u, v, m in G.edges(data="mode") if m in ROAD_MODES or m is None for n in (u, v)})
    xs = np.array([G.nodes[n]["x"] for n in road])
    ys = np.array([G.nodes[n]["y"] for n in road])
    placed: list[tuple[Airport, int]] = []
    left_out = []
    for ap in airports:
        if not len(road):
            break
        km = great_circle_m(ap.lat, ap.lon, ys, xs) / 1000.0
        i = int(np.argmin(km))
        if km[i] > max_snap_km:
            left_out.append(ap.name)
            continue
        node = road[i]
        G.nodes[node]["airport"] = ap.name
        placed.append((ap, node))
    hubs = [(ap, n) for ap, n in placed if ap.hub]
    done: set[frozenset[int]] = set()
    for ap, n in placed:
        for hub, h in hubs:
            if h == n or frozenset((n, h)) in done:
                continue
            done.add(frozenset((n, h)))
            payload = min(ap.payload_t_per_day, hub.payload_t_per_day)
            km = float(great_circle_m(G.nodes[n]["y"], G.nodes[n]["x"], G.nodes[h]["y"], G.nodes[h]["x"]))
            for a, b in ((h, n), (n, h)):
                line = LineString([(G.nodes[a]["x"], G.nodes[a]["y"]), (G.nodes[b]["x"], G.nodes[b]["y"])])
                G.add_edge(
                    a,
                    b,
                    mode="air",
                    length=km,
                    geometry=line,
                    highway="",
                    oneway=False,
                    name=f"air {hub.name} – {ap.name}",
                    payload_t=payload,
                )
    return left_out
