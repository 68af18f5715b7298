"""Road networks from OpenStreetMap data through osmnx: OSM XML, OSM PBF, GraphML.

Every source ends in :func:`finish_graph`, so all networks share one schema (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax import SAXParseException

import networkx as nx

from siege import settings
from siege.errors import SiegeInputError
from siege.io import atomic_path
from siege.network import modes
from siege.network.attributes import Table, add_siege_attributes, highway_values, keep_road_classes, parse_ref
from siege.network.extras import OsmExtras
from siege.network.validate import check_graph, osm_root


@contextlib.contextmanager
def osm_tags() -> Iterator[None]:
    """Let osmnx keep the extra OSM tags siege needs (``surface``; ``place`` and ``name`` on nodes)."""
    import osmnx as ox  # heavy to import (seconds): only where it is used

    saved = (ox.settings.useful_tags_way, ox.settings.useful_tags_node)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved[0], *settings.EXTRA_WAY_TAGS]))
    ox.settings.useful_tags_node = list(dict.fromkeys([*saved[1], *settings.EXTRA_NODE_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.useful_tags_node = saved


def road_class_filter(road_classes: Iterable[str]) -> str:
    """An Overpass way filter for the given road classes and their ``_link`` variants."""
    return f'["highway"~"^({"|".join(highway_values(road_classes))})$"]'


@contextlib.contextmanager
def libosmium_errors(where: str, expected: str) -> Iterator[None]:
    """What libosmium raises on a damaged or foreign file, as one line naming the file."""
    import osmium

    try:
        yield
    except SiegeInputError:
        raise
    except osmium.InvalidLocationError as err:
        raise SiegeInputError(
            where, f"a node's latitude/longitude is not a valid position ({_first_line(err)})"
        ) from None
    except (RuntimeError, ValueError, KeyError, TypeError, OverflowError) as err:  # libosmium's parser
        raise SiegeInputError(where, f"could not read as {expected} ({_first_line(err)})") from None


def finish_graph(
    G: nx.MultiDiGraph,
    *,
    where: str,
    road_classes: Iterable[str],
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
    extras: OsmExtras | None = None,
    simplified: bool = False,
) -> nx.MultiDiGraph:
    """Filter a raw (unsimplified) osmnx graph to road classes, simplify, and set the siege schema.

    Simplification never merges edges whose ``highway`` or ``ref`` differ, and keeps nodes tagged
    ``place`` (towns on the road). ``largest_component`` keeps only the largest strongly connected
    component. ``extras`` (read from the file besides the roads): refs of road route relations,
    added to their member ways; the extract's place nodes; node references dropped at its edge.
    """
    road_classes = tuple(road_classes)
    extras = extras or OsmExtras()
    for _, _, data in G.edges(data=True) if extras.relation_refs else ():
        osmids = data.get("osmid")
        osmids = osmids if isinstance(osmids, list) else [osmids]
        added = [r for w in osmids if isinstance(w, int) for r in extras.relation_refs.get(w, ())]
        if added:
            data["ref"] = ";".join(dict.fromkeys([*parse_ref(data.get("ref")), *added]))
    if not simplified:  # the PBF builder read only these classes, and placed every node it made
        G = keep_road_classes(G, road_classes)
    if next(iter(G.edges), None) is None:  # no edges (G.number_of_edges() would count them all)
        raise SiegeInputError(
            where, f"no roads left after filtering (expected ways with highway in {', '.join(road_classes)})"
        )
    missing = [] if simplified else [n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d]
    if missing:
        raise SiegeInputError(
            where, f"truncated OSM data: ways refer to {len(missing)} missing node(s), e.g. node {missing[0]}"
        )
    if not simplified:  # the PBF builder cuts ways at graph nodes itself
        import osmnx as ox  # heavy to import (seconds): only the XML path simplifies

        G = ox.simplify_graph(
            G, node_attrs_include=["place"], edge_attrs_differ=["highway", "ref", "route", "waterway", "siege:mode"]
        )
    merged = merge_duplicate_ways(G)
    for _, _, d in G.edges(data=True):
        # the bundled network draws legs straight and tags their road length (siege:road_km)
        km = d.pop("siege:road_km", None)
        if km is not None:
            d["length"] = sum(float(k) for k in km) * 1000 if isinstance(km, list) else float(km) * 1000
        d["mode"] = modes.edge_mode(d)
    ports = modes.link_ports(G)
    left_out = modes.add_air_legs(G, extras.airports, max_snap_km=settings.MAX_SNAP_KM) if extras.airports else []
    if largest_component:
        from osmnx.truncate import largest_component

        G = largest_component(G, strongly=True)
    G = add_siege_attributes(check_graph(G, where), speeds=speeds, capacities=capacities)
    for u, v, m in G.edges(data="mode"):
        if m == "air":  # an air leg's ends are airports (the bundled network's are its towns)
            for n in (u, v):
                G.nodes[n].setdefault("airport", str(G.nodes[n].get("name") or n).split(";")[0])
    if ports:
        G.graph["river_ports"] = ports
    if left_out:
        G.graph["airports_off_network"] = ";".join(left_out)
    G.graph.update(source=where, road_classes=list(road_classes))
    G.graph.setdefault("schematic", False)
    if extras.places:
        G.graph["places"] = json.dumps(extras.places, ensure_ascii=False)  # a string: GraphML keeps it
    if extras.dropped_refs:
        G.graph["dropped_node_refs"] = extras.dropped_refs
    if merged:
        G.graph["merged_duplicate_ways"] = merged
    return G


def merge_duplicate_ways(G: nx.MultiDiGraph) -> int:
    """Merge parallel edges that are the same road mapped twice (same ends, same shape within a
    metre): one road, one segment, so criticality sees that closing it cuts a town off. Their refs are
    united. Parallel edges that differ (two roads between the same junctions) are kept. Returns how
    many edges were merged away."""
    drop = []
    for u, v in {(u, v) for u, v, k in G.edges(keys=True) if k > 0}:
        kept: list[tuple[int, dict, list]] = []
        for k, d in sorted(G[u][v].items()):
            shape = _shape(G, u, v, d)
            # a river reach drawn straight beside a road is not the road mapped twice
            twin = (
                next(
                    (kd for kd in kept if _same_shape(kd[2], shape) and modes.edge_mode(kd[1]) == modes.edge_mode(d)),
                    None,
                )
                if kept
                else None
            )
            if twin is None:
                kept.append((k, d, shape))
                continue
            refs = [*parse_ref(twin[1].get("ref")), *parse_ref(d.get("ref"))]
            if refs:
                twin[1]["ref"] = ";".join(dict.fromkeys(refs))
            drop.append((u, v, k))
    G.remove_edges_from(drop)
    return len(drop)


def _shape(G: nx.MultiDiGraph, u: int, v: int, d: dict) -> list[tuple[float, float]]:
    geometry = d.get("geometry")
    if geometry is not None:
        return [(round(x, 5), round(y, 5)) for x, y in geometry.coords]
    return [
        (round(G.nodes[u]["x"], 5), round(G.nodes[u]["y"], 5)),
        (round(G.nodes[v]["x"], 5), round(G.nodes[v]["y"], 5)),
    ]


def _same_shape(a: list, b: list) -> bool:
    return a == b


def read_extras(path: Path, where: str, *, expected: str = "OSM data") -> OsmExtras:
    """Road route relations' refs by member way, the place nodes and the aerodromes of an OSM file
    (XML, or a PBF the one-pass builder cannot read), in passes of their own."""
    import osmium

    extras = OsmExtras()
    with libosmium_errors(where, expected):
        relations = osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
            osmium.filter.TagFilter(("type", "route"))
        )
        for rel in relations:
            extras.add_relation(rel)
        aerodromes = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.TagFilter(("aeroway", "aerodrome")))
        )
        for obj in aerodromes:
            extras.add_aerodrome(obj)
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(osmium.filter.KeyFilter("place")):
            extras.add_place(node)
    return extras


def check_osm_nodes(path: Path, where: str) -> None:
    """Refuse an OSM XML file with a node that has no position or a node id defined twice: osmnx
    would fail on the first and keep one of the two positions of the second without a word."""
    import array

    import numpy as np
    import osmium

    ids, unplaced = array.array("q"), None
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if not node.location.valid():
                unplaced = node.id
                break
            ids.append(node.id)
    except Exception:  # libosmium's parser: osmnx's parse that follows says what is wrong, in its words
        return
    if unplaced is not None:
        raise SiegeInputError(where, f"node {unplaced} has no position (expected lat and lon on every <node>)")
    found = np.frombuffer(ids, dtype=np.int64)
    uniq, counts = np.unique(found, return_counts=True)
    if len(uniq) < len(found):
        twice = int(uniq[np.argmax(counts > 1)])
        raise SiegeInputError(
            where, f"node id {twice} is defined {int(counts[np.argmax(counts > 1)])} times (expected each node once)"
        )


def _write_roads(
    path: Path, out: Path, where: str, *, road_classes: Iterable[str] | None = None, expected: str = "OSM data"
) -> int:
    """Write the highway ways of ``path`` (of ``road_classes`` and their ``_link`` variants, filtered
    in libosmium before Python sees them) and their nodes to OSM XML ``out``. A way that leaves a
    clipped extract is split where its nodes are missing (each piece inside kept); returns how many
    node references were dropped."""
    import osmium

    if road_classes is None:
        highway = osmium.filter.KeyFilter("highway")
    else:
        highway = osmium.filter.TagFilter(*[("highway", v) for v in highway_values(road_classes)])
    with libosmium_errors(where, expected):
        try:
            return _write_roads_located(path, out, highway)
        except (RuntimeError, ValueError, OverflowError, _HandMade):
            # negative ids (files edited by hand) or a damaged file: the slow path says which
            return _write_roads_by_ids(path, out, highway)


class _HandMade(Exception):
    """Negative OSM ids: libosmium's location index and id sets refuse them."""


def _write_pieces(writer, way, inside: list[bool]) -> int:
    """Write ``way``, or the runs of its nodes that are ``inside`` the file; the references dropped."""
    if all(inside):
        writer.add_way(way)
        return 0
    pieces, run = [], []
    for nd, ok in zip(way.nodes, inside, strict=True):
        if ok:
            run.append(nd.ref)
        else:
            pieces.append(run)
            run = []
    pieces.append(run)
    for k, piece in enumerate(p for p in pieces if len(p) >= 2):
        # later pieces get ids no OSM object has; osmnx keeps one path per way id
        writer.add_way(way.replace(id=way.id if k == 0 else -(abs(way.id) * 1000 + k), nodes=piece))
    return inside.count(False)


def _write_roads_located(path: Path, out: Path, highway) -> int:
    """One pass in libosmium with a location index: a node reference without a location is missing."""
    import osmium

    dropped = 0
    ways = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(highway)
    )
    with osmium.BackReferenceWriter(str(out), ref_src=str(path), overwrite=True, remove_tags=False) as writer:
        for way in ways:
            if way.id < 0 or any(nd.ref < 0 for nd in way.nodes):
                raise _HandMade
            dropped += _write_pieces(writer, way, [nd.location.valid() for nd in way.nodes])
    return dropped


def _write_roads_by_ids(path: Path, out: Path, highway) -> int:
    """Id arrays compared with numpy (any ids, negative too); for small files edited by hand."""
    import array

    import numpy as np
    import osmium

    wanted, have = array.array("q"), array.array("q")
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(highway):
        wanted.extend(n.ref for n in way.nodes)
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        have.append(node.id)
    wanted_ids = np.unique(np.frombuffer(wanted, dtype=np.int64))
    missing = set(wanted_ids[~np.isin(wanted_ids, np.frombuffer(have, dtype=np.int64))].tolist())
    keep = set(wanted_ids.tolist())
    dropped = 0
    with osmium.SimpleWriter(str(out), overwrite=True) as writer:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.id in keep:
                writer.add_node(node)
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(highway):
            dropped += _write_pieces(writer, way, [nd.ref not in missing for nd in way.nodes])
    return dropped


def graph_from_osm_xml(
    path: str | Path,
    *,
    road_classes: Iterable[str] = settings.DEFAULT_ROAD_CLASSES,
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Load an OSM XML file (``.osm``, ``.osm.gz``, ``.osm.bz2``) with ``osmnx.graph_from_xml``."""
    path = Path(path)
    _check_file(path, "an OSM XML file (.osm, .osm.gz, .osm.bz2)")
    osm_root(path, str(path))
    check_osm_nodes(path, str(path))
    try:
        G = _raw_graph_from_xml(path, where=str(path))
        extras = read_extras(path, str(path))
    except _Clipped:
        # ways that leave the extract: keep what lies inside, counting the references dropped
        with tempfile.TemporaryDirectory(prefix="siege-osm-") as tmp:
            roads = Path(tmp) / "roads.osm"
            dropped = _write_roads(path, roads, str(path), road_classes=road_classes)
            try:
                G = _raw_graph_from_xml(roads, where=str(path))
            except _Clipped as err:  # not a clipped extract after all: say what osmnx met
                raise SiegeInputError(str(path), f"malformed OSM XML ({err})") from None
        extras = read_extras(path, str(path))
        extras.dropped_refs = dropped
    return finish_graph(
        G,
        where=str(path),
        road_classes=road_classes,
        largest_component=largest_component,
        speeds=speeds,
        capacities=capacities,
        extras=extras,
    )


class _Clipped(Exception):
    """osmnx met ways referring to nodes not in the file."""


def _raw_graph_from_xml(path: Path, *, where: str) -> nx.MultiDiGraph:
    import osmnx as ox  # heavy to import (seconds): only where it is used

    osm_root(path, where)
    with osm_tags(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return ox.graph_from_xml(path, simplify=False, retain_all=True)
        except ox._errors.InsufficientResponseError:
            raise SiegeInputError(where, "no OSM nodes or ways in the file (expected OSM XML with roads)") from None
        except (ParseError, SAXParseException, OSError, EOFError, UnicodeDecodeError) as err:
            raise SiegeInputError(where, f"not a valid OSM XML file ({_first_line(err)})") from None
        except (TypeError, AttributeError) as err:
            # osmnx's parser meets <tag> or <nd> outside a <node> or <way>, or a value of the wrong kind
            raise SiegeInputError(
                where, f"malformed OSM XML: an element outside the <node>/<way> it belongs to ({_first_line(err)})"
            ) from None
        except (KeyError, ValueError) as err:
            # osmnx: "Some edges missing nodes, possibly due to input data clipping issue."
            raise _Clipped(_first_line(err)) from None


def graph_from_pbf(
    path: str | Path,
    *,
    road_classes: Iterable[str] = settings.DEFAULT_ROAD_CLASSES,
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Load an OSM PBF file: pyosmium builds the simplified road graph directly
    (:mod:`siege.network.pbf`); files with hand-made negative ids go through OSM XML and osmnx."""
    from siege.network.pbf import NegativeIds, build_graph

    path = Path(path)
    where = str(path)
    _check_file(path, "an OSM PBF file (.osm.pbf)")
    simplified = True
    try:
        with libosmium_errors(where, "an OSM PBF file"):
            G, extras = build_graph(path, road_classes)
    except NegativeIds:
        # hand-made ids: through OSM XML and osmnx (small files only)
        simplified = False
        extras = read_extras(path, where, expected="an OSM PBF file")
        with tempfile.TemporaryDirectory(prefix="siege-pbf-") as tmp:
            xml = Path(tmp) / "roads.osm"
            extras.dropped_refs = _write_roads(path, xml, where, road_classes=road_classes, expected="an OSM PBF file")
            try:
                G = _raw_graph_from_xml(xml, where=where)
            except _Clipped as err:  # cannot happen after the split; say so plainly if it does
                raise SiegeInputError(where, f"truncated OSM data ({err})") from None
    return finish_graph(
        G,
        where=where,
        road_classes=road_classes,
        largest_component=largest_component,
        speeds=speeds,
        capacities=capacities,
        extras=extras,
        simplified=simplified,
    )


def save_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Save a siege graph as GraphML (``ref`` lists as ``"RN3;RN4"``), atomically."""
    import osmnx as ox  # heavy to import (seconds): only where it is used

    H = G.copy()
    for _, _, data in H.edges(data=True):
        data["ref"] = ";".join(data.get("ref", []))
    H.graph["road_classes"] = ",".join(H.graph.get("road_classes", []))
    with atomic_path(path) as tmp:
        ox.save_graphml(H, tmp)
    return Path(path)


def load_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Load a GraphML file written by :func:`save_graphml` (or by osmnx, then given the siege schema)."""
    import osmnx as ox  # heavy to import (seconds): only where it is used

    path = Path(path)
    _check_file(path, "a GraphML file")
    try:
        G = ox.load_graphml(
            path,
            edge_dtypes={
                "ref": parse_ref,
                "speed_kph": float,
                "capacity": float,
                "travel_time": float,
                "payload_t": float,
            },
            graph_dtypes={"schematic": lambda s: str(s) == "True"},
        )
    except Exception as err:  # networkx/lxml raise many kinds on a bad file
        raise SiegeInputError(str(path), f"not a GraphML road network ({_first_line(err)})") from None
    if not G.is_directed():
        G = _two_way(G)
    if G.number_of_edges() == 0:
        raise SiegeInputError(str(path), "the GraphML file has no edges (expected a road network)")
    classes = G.graph.get("road_classes") or ",".join(settings.DEFAULT_ROAD_CLASSES)
    G.graph["road_classes"] = classes.split(",") if isinstance(classes, str) else list(classes)
    check_graph(G, str(path))
    derived = ("speed_kph", "travel_time", "capacity")
    if any(k not in d for _, _, d in G.edges(data=True) for k in derived):
        G = add_siege_attributes(G)  # from highway and surface, for every edge alike
    G.graph.setdefault("source", str(path))
    return G


def _two_way(G: nx.MultiGraph) -> nx.MultiDiGraph:
    """An undirected GraphML network (``edgedefault="undirected"``) as two-way roads: each edge in
    both directions, its line drawn from the node it leaves."""
    from shapely.geometry import LineString

    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        for a, b in ((u, v), (v, u)) if u != v else ((u, v),):
            d = {**data, "oneway": False}
            geom = d.get("geometry")
            if isinstance(geom, LineString) and a in H.nodes and "x" in H.nodes[a]:
                x, y = float(H.nodes[a]["x"]), float(H.nodes[a]["y"])
                (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
                if (x1 - x) ** 2 + (y1 - y) ** 2 < (x0 - x) ** 2 + (y0 - y) ** 2:
                    d["geometry"] = LineString(geom.coords[::-1])
            H.add_edge(a, b, **d)
    return H


def _check_file(path: Path, expected: str) -> None:
    if not path.exists():
        raise SiegeInputError(str(path), f"no such file (expected {expected})")
    if not path.is_file():
        raise SiegeInputError(str(path), f"not a file (expected {expected})")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
