"""OSM PBF straight into a simplified road graph with pyosmium, for national extracts.

The OSM XML path hands osmnx every node of every road and lets it simplify afterwards: for a
Mali-sized extract (2 M nodes) that took minutes and gigabytes. Here libosmium filters the road
classes and looks node positions up (a location index) while the ways stream past, and each way is
cut only where the graph needs a node: where ways meet, at its ends, at ``place`` nodes and where a
clipped extract lost its nodes. The result has osmnx's schema (``osmid``, ``oneway``, ``reversed``,
``length``, ``geometry`` and the way tags osmnx keeps) and goes through the same
:func:`siege.network.osm.finish_graph` as every source. Ways that share an end with another of the
same road stay separate edges (osmnx would merge them): more edges, the same routes and lengths.
"""

from __future__ import annotations

import array
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

from siege import settings
from siege.network import modes
from siege.network.attributes import highway_values, kept_way, parse_ref
from siege.network.extras import OsmExtras
from siege.network.geometry import great_circle_m

#: osmnx's one-way rules (``_is_path_one_way``): these ``oneway`` values, and roundabouts
_ONEWAY = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED = {"-1", "reverse", "T"}


class NegativeIds(Exception):
    """Negative OSM ids (files edited by hand): libosmium's location index refuses them."""


def build_graph(path: Path, road_classes: Iterable[str]) -> tuple[nx.MultiDiGraph, OsmExtras]:
    """The road graph of an OSM file (``road_classes`` and their ``_link``) and what the file holds
    besides (:class:`~siege.network.extras.OsmExtras`: places, aerodromes, node references that pointed
    outside a clipped extract; road routes' refs go on their ways' own), in one pass over the file: each
    pass costs as much as reading the whole file. Raises :class:`NegativeIds` for hand-made ids."""
    import osmium

    extras = OsmExtras()
    road_classes = tuple(road_classes)
    values = highway_values(road_classes)
    roads, waterways = set(values), set(modes.NAVIGABLE_WATERWAYS)
    classes = set(road_classes)
    # the tags kept, looked up one by one: a way's own tags are not walked in Python (each costs an
    # object), and every way keeps them in this one order
    keep_tags = tuple(dict.fromkeys([*settings.OSMNX_WAY_TAGS, *settings.EXTRA_WAY_TAGS]))
    # place-tagged nodes stay graph nodes (towns on the road), as osmnx's simplification keeps them
    places: dict[int, dict[str, str]] = {}

    piece_way: list[int] = []
    piece_tags: list[dict[str, str]] = []
    refs, lons, lats = array.array("q"), array.array("d"), array.array("d")
    starts = array.array("q")
    dropped = 0
    # libosmium filters before Python sees an object; each filter acts on one kind of object
    objects = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("place", "aeroway").enable_for(osmium.osm.NODE))
        .with_filter(
            osmium.filter.TagFilter(
                *[("highway", v) for v in values],
                ("route", "ferry"),
                *[("waterway", w) for w in sorted(waterways)],
                ("aeroway", "aerodrome"),
            ).enable_for(osmium.osm.WAY)
        )
        .with_filter(osmium.filter.TagFilter(("type", "route")).enable_for(osmium.osm.RELATION))
    )
    for obj in objects:
        if obj.id < 0:
            raise NegativeIds
        if obj.is_relation():
            extras.add_relation(obj)
            continue
        extras.add_aerodrome(obj)
        if obj.is_node():
            if "place" in obj.tags:
                places[obj.id] = {k: obj.tags[k] for k in settings.EXTRA_NODE_TAGS if k in obj.tags}
                extras.add_place(obj)
            continue
        way, get = obj, obj.tags.get
        if not (get("highway") in roads or get("route") == "ferry" or get("waterway") in waterways):
            continue  # an aerodrome's outline
        tags = {k: v for k in keep_tags if (v := get(k)) is not None}
        if not kept_way(tags, classes):
            continue  # a waterway no boat is tagged on (finish_graph keeps the roads as read here)
        nds = list(way.nodes)
        way_refs = [nd.ref for nd in nds]
        locations = [nd.location for nd in nds]
        if way_refs and min(way_refs) < 0:
            raise NegativeIds
        try:  # the whole way inside the extract (a lost node's location raises): one piece
            way_lons, way_lats = [loc.lon for loc in locations], [loc.lat for loc in locations]
            runs = [range(len(nds))] if len(nds) >= 2 else []
        except osmium.InvalidLocationError:  # outside a clipped extract: cut at every node it lost
            valid = [loc.valid() for loc in locations]
            dropped += valid.count(False)
            runs = [r for r in _valid_runs(valid) if len(r) >= 2]
            way_lons = [loc.lon if ok else 0.0 for loc, ok in zip(locations, valid, strict=True)]
            way_lats = [loc.lat if ok else 0.0 for loc, ok in zip(locations, valid, strict=True)]
        for run in runs:
            starts.append(len(refs))
            piece_way.append(way.id)
            piece_tags.append(tags)
            refs.extend(way_refs[run.start : run.stop])
            lons.extend(way_lons[run.start : run.stop])
            lats.extend(way_lats[run.start : run.stop])
    extras.dropped_refs = dropped
    # relations come after the ways in a file: their refs go on the ways' tags now, before ways with the
    # same refs are joined (a way's pieces share one tags dict); none are left for finish_graph to add
    for way_id, tags in dict(zip(piece_way, piece_tags, strict=True)).items():
        if way_id in extras.relation_refs:
            tags["ref"] = ";".join(dict.fromkeys([*parse_ref(tags.get("ref")), *extras.relation_refs[way_id]]))
    extras.relation_refs = {}
    G = nx.MultiDiGraph(crs="epsg:4326", simplified=True)
    if not piece_way:
        return G, extras
    ref_a = np.frombuffer(refs, dtype=np.int64)
    lon_a, lat_a = np.frombuffer(lons, dtype=float), np.frombuffer(lats, dtype=float)
    start_a = np.frombuffer(starts, dtype=np.int64)
    end_a = np.r_[start_a[1:], len(ref_a)]
    ref_a, lon_a, lat_a, start_a, end_a, piece_way, piece_tags = _join_ways(
        ref_a, lon_a, lat_a, start_a, end_a, piece_way, piece_tags, set(places)
    )
    # graph nodes: where ways meet (a node used twice), way ends, places
    ids, counts = np.unique(ref_a, return_counts=True)
    keep = np.concatenate(
        [ids[counts > 1], ref_a[start_a], ref_a[end_a - 1], np.fromiter(places, dtype=np.int64, count=len(places))]
    )
    is_node = np.isin(ref_a, keep)
    # edges: each piece cut at its graph nodes
    cut_at = np.flatnonzero(is_node)
    # (consecutive graph nodes of one piece: a piece's last node and the next piece's first are not)
    piece_of = np.repeat(np.arange(len(start_a)), end_a - start_a)
    within = piece_of[cut_at[:-1]] == piece_of[cut_at[1:]]
    first, last = cut_at[:-1][within], cut_at[1:][within]
    edge_piece = piece_of[first].tolist()
    # lengths: great circle between consecutive points, summed along each edge
    step = great_circle_m(lat_a[:-1], lon_a[:-1], lat_a[1:], lon_a[1:])
    csum = np.r_[0.0, np.cumsum(step)]
    length = csum[last] - csum[first]
    counts_pts = last - first + 1
    index = np.repeat(np.arange(len(first)), counts_pts)
    # the points of every edge, first to last: a running index restarted at each edge's first point
    pts = np.arange(int(counts_pts.sum())) - np.repeat(np.cumsum(counts_pts) - counts_pts - first, counts_pts)
    lines = shapely.linestrings(lon_a[pts], lat_a[pts], indices=index)
    backwards_lines = shapely.reverse(lines)  # for two-way roads' second direction, all in one call

    node_ids = ref_a[cut_at]
    node, succ, pred = G._node, G._succ, G._pred  # G.add_nodes_from, filled in directly (see _add_edges)
    for n, x, y in zip(node_ids.tolist(), lon_a[cut_at].tolist(), lat_a[cut_at].tolist(), strict=True):
        if n not in node:  # a node where ways meet is met once per way, always the same
            node[n] = {"x": x, "y": y, **places[n]} if n in places else {"x": x, "y": y}
            succ[n], pred[n] = {}, {}
    edges = []
    starts_at, ends_at, lengths = ref_a[first].tolist(), ref_a[last].tolist(), length.tolist()
    for e, piece in enumerate(edge_piece):
        tags = piece_tags[piece]
        u, v = starts_at[e], ends_at[e]
        one_way = tags.get("oneway") in _ONEWAY or tags.get("junction") == "roundabout"
        backwards = tags.get("oneway") in _REVERSED
        osmid = piece_way[piece]
        data = {**tags, "osmid": osmid[0] if len(osmid) == 1 else osmid, "length": lengths[e], "oneway": one_way}
        line = lines[e]
        if one_way:
            if backwards:
                edges.append((v, u, {**data, "reversed": True, "geometry": backwards_lines[e]}))
            else:
                edges.append((u, v, {**data, "reversed": False, "geometry": line}))
        else:
            edges.append((u, v, {**data, "reversed": False, "geometry": line}))
            edges.append((v, u, {**data, "reversed": True, "geometry": backwards_lines[e]}))
    _add_edges(G, edges)
    return G, extras


def _valid_runs(valid: list[bool]) -> list[range]:
    """The runs of consecutive ``True`` in ``valid``, as ranges of positions."""
    runs, begin = [], None
    for i, ok in enumerate([*valid, False]):
        if ok and begin is None:
            begin = i
        elif not ok and begin is not None:
            runs.append(range(begin, i))
            begin = None
    return runs


def _add_edges(G: nx.MultiDiGraph, edges: list[tuple[int, int, dict]]) -> None:
    """``G.add_edges_from(edges)`` between nodes ``G`` has, filled into networkx's own dict-of-dicts
    layout (keys 0, 1, … per node pair in order, predecessors in the order pairs first appear), as
    add_edge would on a graph without edges: its checks cost more than the rest of the building."""
    succ, pred = G._succ, G._pred
    for u, v, data in edges:
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = {}
            pred[v][u] = keys
        keys[len(keys)] = data


def _key(tags: dict) -> tuple:
    """Ways that may be joined end to end: same class, same numbers, same one-way rule."""
    one_way = tags.get("oneway") in _ONEWAY or tags.get("junction") == "roundabout"
    return (tags.get("highway"), tags.get("ref"), one_way, tags.get("oneway") in _REVERSED)


def _join_ways(ref_a, lon_a, lat_a, start_a, end_a, piece_way, piece_tags, places):
    """Join ways that continue each other at a node no other way uses (a road split into several
    ways for a change of name or surface), as osmnx's simplification does: chains of pieces with the
    same class, numbers and one-way rule become one. Tags that differ along a chain become lists."""
    n = len(start_a)
    head, tail = ref_a[start_a], ref_a[end_a - 1]
    ids, counts = np.unique(ref_a, return_counts=True)
    # how many times each piece's end is used, looked up for the ends only (not every node of the file)
    end_ids = np.unique(np.concatenate([head, tail]))
    twice = dict(zip(end_ids.tolist(), counts[np.searchsorted(ids, end_ids)].tolist(), strict=True))
    ends: dict[int, list[tuple[int, str]]] = {}
    for p, (h, t) in enumerate(zip(head.tolist(), tail.tolist(), strict=True)):
        ends.setdefault(h, []).append((p, "head"))
        ends.setdefault(t, []).append((p, "tail"))
    keys = [_key(t) for t in piece_tags]
    nxt: dict[int, int] = {}  # piece -> piece that continues it at its tail
    prv: dict[int, int] = {}
    for node, at in ends.items():
        if len(at) != 2 or twice.get(node) != 2 or node in places:
            continue
        (p, ep), (q, eq) = at
        if p == q or keys[p] != keys[q]:
            continue
        if ep == "tail" and eq == "head":
            a, b = p, q
        elif ep == "head" and eq == "tail":
            a, b = q, p
        else:
            continue  # two ways drawn towards (or away from) each other: kept apart (osmnx would too for one-ways)
        if a in nxt or b in prv:
            continue
        nxt[a], prv[b] = b, a
    if not nxt:
        return ref_a, lon_a, lat_a, start_a, end_a, [[w] for w in piece_way], [dict(t) for t in piece_tags]
    order: list[np.ndarray] = []
    new_way, new_tags, new_start = [], [], []
    seen = set()
    total = 0
    chains = [p for p in range(n) if p not in prv] + [p for p in range(n) if p in prv and p not in nxt]
    for first in chains:
        if first in seen:
            continue
        chain, p = [], first
        while p is not None and p not in seen:
            seen.add(p)
            chain.append(p)
            p = nxt.get(p)
        positions = [np.arange(start_a[chain[0]], end_a[chain[0]])]
        positions += [np.arange(start_a[c] + 1, end_a[c]) for c in chain[1:]]  # the shared node once
        pos = np.concatenate(positions)
        order.append(pos)
        new_start.append(total)
        total += len(pos)
        new_way.append([w for c in chain for w in (piece_way[c] if isinstance(piece_way[c], list) else [piece_way[c]])])
        merged: dict = {}
        for c in chain:
            for k, v in piece_tags[c].items():
                merged.setdefault(k, [])
                if v not in merged[k]:
                    merged[k].append(v)
        new_tags.append({k: v[0] if len(v) == 1 else v for k, v in merged.items()})
    for p in range(n):  # loops of joined pieces (a ring road in several ways): kept as they were
        if p not in seen:
            pos = np.arange(start_a[p], end_a[p])
            order.append(pos)
            new_start.append(total)
            total += len(pos)
            new_way.append([piece_way[p]])
            new_tags.append(dict(piece_tags[p]))
    idx = np.concatenate(order)
    start = np.array(new_start, dtype=np.int64)
    return ref_a[idx], lon_a[idx], lat_a[idx], start, np.r_[start[1:], len(idx)], new_way, new_tags
