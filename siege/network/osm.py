"""Road networks from OpenStreetMap data through osmnx: OSM XML, OSM PBF, GraphML.

Every source ends in :func:`finish_graph`, so all networks share one schema (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax import SAXParseException

import networkx as nx
import osmnx as ox

from siege import settings
from siege.errors import SiegeInputError
from siege.io import atomic_path
from siege.network.attributes import Table, add_siege_attributes, keep_road_classes, parse_ref
from siege.network.validate import check_graph, osm_root

OSM_XML_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".xml")


@contextlib.contextmanager
def osm_tags() -> Iterator[None]:
    """Let osmnx keep the extra OSM tags siege needs (``surface``; ``place`` and ``name`` on nodes)."""
    saved = (ox.settings.useful_tags_way, ox.settings.useful_tags_node)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved[0], *settings.EXTRA_WAY_TAGS]))
    ox.settings.useful_tags_node = list(dict.fromkeys([*saved[1], *settings.EXTRA_NODE_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.useful_tags_node = saved


def road_class_filter(road_classes: Iterable[str]) -> str:
    """An Overpass way filter for the given road classes and their ``_link`` variants."""
    classes = sorted({c for rc in road_classes for c in (rc, f"{rc}_link")})
    return f'["highway"~"^({"|".join(classes)})$"]'


def finish_graph(
    G: nx.MultiDiGraph,
    *,
    where: str,
    road_classes: Iterable[str],
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Filter a raw (unsimplified) osmnx graph to road classes, simplify, and set the siege schema.

    Simplification never merges edges whose ``highway`` or ``ref`` differ, and keeps nodes tagged
    ``place`` (towns on the road). ``largest_component`` keeps only the largest strongly connected
    component.
    """
    road_classes = tuple(road_classes)
    G = keep_road_classes(G, road_classes)
    if G.number_of_edges() == 0:
        raise SiegeInputError(
            where, f"no roads left after filtering (expected ways with highway in {', '.join(road_classes)})"
        )
    missing = [n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d]
    if missing:
        raise SiegeInputError(
            where, f"truncated OSM data: ways refer to {len(missing)} missing node(s), e.g. node {missing[0]}"
        )
    G = ox.simplify_graph(G, node_attrs_include=["place"], edge_attrs_differ=["highway", "ref"])
    if largest_component:
        G = ox.truncate.largest_component(G, strongly=True)
    G = add_siege_attributes(check_graph(G, where), speeds=speeds, capacities=capacities)
    G.graph.update(source=where, road_classes=list(road_classes))
    G.graph.setdefault("schematic", False)
    return G


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
    G = _raw_graph_from_xml(path, where=str(path))
    return finish_graph(
        G,
        where=str(path),
        road_classes=road_classes,
        largest_component=largest_component,
        speeds=speeds,
        capacities=capacities,
    )


def _raw_graph_from_xml(path: Path, *, where: str) -> nx.MultiDiGraph:
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
            raise SiegeInputError(
                where, f"truncated OSM data: ways refer to nodes that are not in the file ({_first_line(err)})"
            ) from None


def graph_from_pbf(
    path: str | Path,
    *,
    road_classes: Iterable[str] = settings.DEFAULT_ROAD_CLASSES,
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Load an OSM PBF file: pyosmium keeps the highway ways and their nodes, then the OSM XML path."""
    import osmium  # only this source needs it

    path = Path(path)
    _check_file(path, "an OSM PBF file (.osm.pbf)")
    with tempfile.TemporaryDirectory(prefix="siege-pbf-") as tmp:
        xml = Path(tmp) / "roads.osm"
        try:
            with osmium.BackReferenceWriter(str(xml), ref_src=str(path), overwrite=True, remove_tags=False) as writer:
                ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
                for way in ways:
                    writer.add_way(way)
        except RuntimeError as err:
            raise SiegeInputError(str(path), f"could not read as an OSM PBF file ({_first_line(err)})") from None
        G = _raw_graph_from_xml(xml, where=str(path))
    return finish_graph(
        G,
        where=str(path),
        road_classes=road_classes,
        largest_component=largest_component,
        speeds=speeds,
        capacities=capacities,
    )


def save_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Save a siege graph as GraphML (``ref`` lists as ``"RN3;RN4"``), atomically."""
    H = G.copy()
    for _, _, data in H.edges(data=True):
        data["ref"] = ";".join(data.get("ref", []))
    H.graph["road_classes"] = ",".join(H.graph.get("road_classes", []))
    with atomic_path(path) as tmp:
        ox.save_graphml(H, tmp)
    return Path(path)


def load_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Load a GraphML file written by :func:`save_graphml` (or by osmnx, then given the siege schema)."""
    path = Path(path)
    _check_file(path, "a GraphML file")
    try:
        G = ox.load_graphml(
            path,
            edge_dtypes={"ref": parse_ref, "speed_kph": float, "capacity": float, "travel_time": float},
            graph_dtypes={"schematic": lambda s: str(s) == "True"},
        )
    except Exception as err:  # networkx/lxml raise many kinds on a bad file
        raise SiegeInputError(str(path), f"not a GraphML road network ({_first_line(err)})") from None
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


def _check_file(path: Path, expected: str) -> None:
    if not path.exists():
        raise SiegeInputError(str(path), f"no such file (expected {expected})")
    if not path.is_file():
        raise SiegeInputError(str(path), f"not a file (expected {expected})")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
