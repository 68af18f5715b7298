"""What events need to know about the network: places, roads by ``ref``, and distances on the ground.

Built once per scenario from the (never mutated) network. Segments are identified by their edge
keys ``(u, v, key)``; a road segment is selected in both directions.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from siege import settings
from siege.errors import SiegeInputError
from siege.network.attributes import has_ref
from siege.network.geometry import great_circle_m
from siege.places import Gazetteer, snap_places
from siege.validation import show

EdgeKey = tuple[int, int, int]

#: lookups that depend only on the (never mutated) network, shared by every scenario built on the
#: same graph: a sweep rebuilds a scenario per variant and would otherwise snap and route again
_PER_GRAPH: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict] = weakref.WeakKeyDictionary()


def _shared(G: nx.MultiDiGraph) -> dict:
    return _PER_GRAPH.setdefault(G, {})


@dataclass
class NetworkContext:
    """The network, the gazetteer and lookups events use to find their road segments."""

    G: nx.MultiDiGraph
    gazetteer: Gazetteer
    max_snap_km: float = settings.MAX_SNAP_KM

    @cached_property
    def edges(self) -> gpd.GeoDataFrame:
        """Edges with geometry, indexed by ``(u, v, key)`` (what ``osmnx.convert.graph_to_gdfs`` gives
        for the geometry alone, without importing osmnx for it)."""
        shared = _shared(self.G)
        if "edges" not in shared:
            keys, geoms = [], []
            for u, v, k, geom in self.G.edges(keys=True, data="geometry"):
                keys.append((u, v, k))
                geoms.append(geom)
            index = pd.MultiIndex.from_tuples(keys, names=["u", "v", "key"])
            shared["edges"] = gpd.GeoDataFrame(
                {"geometry": geoms}, index=index, geometry="geometry", crs=self.G.graph.get("crs", "EPSG:4326")
            )
        return shared["edges"]

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the network."""
        return tuple(self.edges.total_bounds)

    @property
    def main(self) -> nx.MultiDiGraph:
        """The largest strongly connected part of the network: places snap there, so a town or a
        supply point never lands on a one-way dead end or an island of road that leads nowhere."""
        shared = _shared(self.G)
        if "main" not in shared:
            largest = max(nx.strongly_connected_components(self.G), key=len, default=set())
            shared["main"] = self.G.subgraph(largest)
        return shared["main"]

    def for_mode(self, mode: str) -> NetworkContext:
        """The context of the segments an event's ``mode`` selects (``road``: roads and their ferries;
        ``river``, ``ferry``, ``air``): places snap onto that mode's own network (an airport, a port)."""
        from siege.network import modes
        from siege.network.summary import edge_count

        views = _shared(self.G).setdefault("modes", {})
        if mode not in views:
            keys = [(u, v, k) for u, v, k, d in self.G.edges(keys=True, data=True) if modes.selected(d, mode)]
            if len(keys) == edge_count(self.G):
                views[mode] = self
            else:
                sub = self.G.edge_subgraph(keys)
                views[mode] = NetworkContext(sub, self.gazetteer, self.max_snap_km) if keys else None
        view = views[mode]
        if view is None:
            raise SiegeInputError("mode", f"the network has no {mode} segments")
        return view

    def snap(self, places: list) -> list:
        """Snap places onto :attr:`main` (see :func:`siege.places.snap_places`)."""
        return snap_places(self.main, places, max_snap_km=self.max_snap_km)

    def node_of(self, name: str, where: str, *, ref: str | None = None) -> int:
        """The network node of a named place (on road ``ref`` if given); clear errors otherwise."""
        place = self.gazetteer.get(name, where)
        if not place.located:
            raise SiegeInputError(where, f"{place.name} has no known position, so it cannot be placed on the network")
        snaps = _shared(self.G).setdefault("snaps", {})
        key = (place.lon, place.lat, ref, self.max_snap_km)
        if key not in snaps:
            graph = self.main if ref is None else self.road(ref, where)
            snaps[key] = snap_places(graph, [place], max_snap_km=self.max_snap_km)[0]
        snapped = snaps[key]
        if ref is None:
            if not snapped.snapped:
                raise SiegeInputError(
                    where,
                    f"{place.name} is not on the network (nearest road node {snapped.snap_km:.0f} km away, "
                    f"limit {self.max_snap_km:g} km)",
                )
            return snapped.node
        if not snapped.snapped:
            raise SiegeInputError(
                where, f"{place.name} is not on {ref} (nearest {ref} node {snapped.snap_km:.0f} km away)"
            )
        return snapped.node

    def road(self, ref: str, where: str) -> nx.MultiDiGraph:
        """The sub-network of edges carrying ``ref`` (one view per graph and ref: the snapping tree
        built over its nodes is then built once, not once per event naming the road)."""
        roads = _shared(self.G).setdefault("roads", {})
        if ref not in roads:
            keys = [(u, v, k) for u, v, k, refs in self.G.edges(keys=True, data="ref") if has_ref(refs, ref)]
            if not keys:
                known = sorted({r for _, _, refs in self.G.edges(data="ref") for r in refs or []})
                raise SiegeInputError(
                    where, f"no road {show(ref)} in the network (known refs: {', '.join(known[:40])})"
                )
            roads[ref] = self.G.edge_subgraph(keys)
        return roads[ref]

    def stretch(self, a: str, b: str, where: str, *, ref: str | None = None) -> set[EdgeKey]:
        """Segments of the shortest road route from place ``a`` to place ``b`` (along ``ref`` if given),
        and of the route back: on a dual carriageway (one-way ways each way) both carriageways are hit."""
        u, v = self.node_of(a, where, ref=ref), self.node_of(b, where, ref=ref)
        if u == v:
            raise SiegeInputError(where, f"{a} and {b} are the same network node")
        stretches = _shared(self.G).setdefault("stretches", {})
        if (u, v, ref) not in stretches:
            graph = self.road(ref, where) if ref else self.G
            try:
                path = nx.shortest_path(graph, u, v, weight="length")
            except nx.NetworkXNoPath:
                on = f" along {ref}" if ref else ""
                raise SiegeInputError(where, f"no road{on} from {a} to {b}") from None
            keys = self.both_ways(itertools.pairwise(path))
            one_way = any(not graph.has_edge(t, s) for s, t in itertools.pairwise(path))
            back = self._way_back(graph, u, v) if one_way else None
            if back:
                keys |= self.both_ways(itertools.pairwise(back))
            stretches[(u, v, ref)] = frozenset(keys)
        return set(stretches[(u, v, ref)])

    def _way_back(self, graph: nx.MultiDiGraph, u: int, v: int) -> list[int] | None:
        """The route from ``v`` back to ``u``, starting and ending at any node within
        ``CARRIAGEWAY_GAP_KM`` of them: on a dual carriageway the way back is the other carriageway,
        whose nodes are not the ones the way there was snapped to."""
        ends = {n: self._near(graph, n) for n in (u, v)}
        try:
            dist, paths = nx.multi_source_dijkstra(graph, ends[v], weight="length")
        except nx.NodeNotFound:
            return None
        reached = [n for n in ends[u] if n in dist]
        return paths[min(reached, key=dist.__getitem__)] if reached else None

    def _near(self, graph: nx.MultiDiGraph, node: int) -> set[int]:
        x, y = self.G.nodes[node]["x"], self.G.nodes[node]["y"]
        nodes = list(graph.nodes)
        xs = [self.G.nodes[n]["x"] for n in nodes]
        ys = [self.G.nodes[n]["y"] for n in nodes]
        km = great_circle_m(y, x, ys, xs) / 1000.0
        return {n for n, d in zip(nodes, km, strict=True) if d <= settings.CARRIAGEWAY_GAP_KM} | {node}

    def both_ways(self, pairs: Iterable[tuple[int, int]]) -> set[EdgeKey]:
        """All edge keys between each node pair, in both directions."""
        keys: set[EdgeKey] = set()
        for u, v in pairs:
            for a, b in ((u, v), (v, u)):
                for k in self.G.get_edge_data(a, b) or {}:
                    keys.add((a, b, k))
        return keys

    def airport_legs(self, name: str, where: str) -> set[EdgeKey]:
        """Every air leg of the airport serving place ``name`` (closing it closes them all): on the
        air context (:meth:`for_mode`), the edges into and out of the node the place snaps to."""
        node = self.node_of(name, where)
        keys = {(u, v, k) for u, v, k in self.G.in_edges(node, keys=True)}
        keys |= {(u, v, k) for u, v, k in self.G.out_edges(node, keys=True)}
        return keys

    def check_in_extent(self, lon: float, lat: float, margin_km: float, where: str) -> None:
        """Raise if a point lies outside the network's extent (plus a margin)."""
        west, south, east, north = self.bounds
        margin = margin_km / 111.0 + 0.05
        if not (west - margin <= lon <= east + margin and south - margin <= lat <= north + margin):
            raise SiegeInputError(
                where,
                f"point ({lat:.4f}, {lon:.4f}) is outside the network's extent "
                f"({south:.2f}..{north:.2f} N, {west:.2f}..{east:.2f} E)",
            )

    def _local(self, lon: float, lat: float, radius_m: float) -> gpd.GeoSeries:
        """Edge geometries near a point, in metres of an azimuthal equidistant projection centred on it."""
        deg = radius_m / 100_000.0 + 0.05  # generous box: a degree is ≥ 100 km below 25° N/S
        near = self.edges.sindex.query(box(lon - deg * 1.2, lat - deg, lon + deg * 1.2, lat + deg))
        sub = self.edges.geometry.iloc[near]
        return sub.to_crs(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +units=m +datum=WGS84")

    def within(self, lon: float, lat: float, radius_km: float) -> set[EdgeKey]:
        """Segments passing within ``radius_km`` of a point."""
        local = self._local(lon, lat, radius_km * 1000.0)
        hits = local[local.distance(Point(0, 0)) <= radius_km * 1000.0]
        return self.both_ways((u, v) for u, v, _ in hits.index)

    def nearest(
        self, lon: float, lat: float, max_km: float, *, keys: set[EdgeKey] | None = None
    ) -> tuple[set[EdgeKey], float]:
        """The segment nearest a point (among ``keys`` if given), both directions, and its distance in km."""
        local = self._local(lon, lat, max_km * 1000.0)
        if keys is not None:
            local = local[local.index.isin(list(keys))]
        if local.empty:
            return set(), float("inf")
        dist = local.distance(Point(0, 0))
        u, v, _ = dist.idxmin()
        return self.both_ways([(u, v)]), float(dist.min()) / 1000.0

    def along(self, coords: list[tuple[float, float]], within_km: float, *, share: float = 0.5) -> set[EdgeKey]:
        """Segments that run along a line (lon/lat): at least ``share`` of a segment's length lies
        within ``within_km`` of it (a crossing road touches the buffer over a few hundred metres only)."""
        line = LineString(coords)
        c = line.centroid
        deg = within_km / 100.0 + 0.01
        near = self.edges.sindex.query(line.buffer(deg * 1.2))
        if not len(near):
            return set()
        crs = f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +units=m +datum=WGS84"
        local = self.edges.geometry.iloc[near].to_crs(crs)
        zone = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(crs).iloc[0].buffer(within_km * 1000.0)
        lengths = local.length
        inside = local.intersection(zone).length
        hits = local[(lengths > 0) & (inside >= share * lengths)]
        return self.both_ways((u, v) for u, v, _ in hits.index)

    def intersecting(self, geom: BaseGeometry) -> set[EdgeKey]:
        """Segments that intersect a polygon (lon/lat)."""
        hits = self.edges.iloc[self.edges.sindex.query(geom, predicate="intersects")]
        return self.both_ways((u, v) for u, v, _ in hits.index)
