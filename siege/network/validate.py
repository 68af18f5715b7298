"""Checks a loaded network passes before anything uses it, whatever its source.

A graph from a third-party file (GraphML from another tool, an OSM extract) may lack attributes or
carry impossible values; siege fills what it can derive and refuses, in one line naming the file,
the element and the field, what it cannot.
"""

from __future__ import annotations

import bz2
import gzip
import math
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

import networkx as nx
from shapely.geometry import LineString

from siege.errors import SiegeInputError
from siege.network.geometry import great_circle_m

_GEOGRAPHIC_CRS = ("epsg:4326", "wgs84", "wgs 84", "crs84")


def osm_root(path: Path, where: str) -> None:
    """Refuse an XML file whose root element is not ``<osm>`` (read lazily: only the first tag)."""
    name = path.name.lower()
    opener = gzip.open if name.endswith(".gz") else bz2.open if name.endswith(".bz2") else open
    root = None
    try:
        with opener(path, "rb") as f:
            for _, element in iterparse(f, events=("start",)):
                root = element.tag
                break
    except (ParseError, OSError, EOFError, ValueError) as err:
        reason = " ".join(str(err).split())[:160]
        raise SiegeInputError(where, f"not a valid OSM XML file ({reason})") from None
    if root != "osm":
        raise SiegeInputError(where, f"root element is <{str(root)[:40]}> (expected <osm>, OSM XML)")


def check_graph(G: nx.MultiDiGraph, where: str) -> nx.MultiDiGraph:
    """Refuse impossible coordinates and lengths; fill a missing CRS (lon/lat assumed, checked) and
    missing edge lengths and geometries (derived from the node positions). Returns ``G``."""
    for n, d in G.nodes(data=True):
        x, y = d.get("x"), d.get("y")
        if not (_finite(x) and _finite(y)):
            raise SiegeInputError(where, f"node {n}: expected numeric x (longitude) and y (latitude), got {x!r}, {y!r}")
        if not (-180 <= float(x) <= 180 and -90 <= float(y) <= 90):
            raise SiegeInputError(
                where, f"node {n}: expected longitude in -180..180 and latitude in -90..90, got {x}, {y}"
            )
    crs = str(G.graph.get("crs") or "epsg:4326")
    if crs.lower() not in _GEOGRAPHIC_CRS:
        raise SiegeInputError(where, f"graph crs is {crs[:60]} (expected EPSG:4326 longitude/latitude)")
    G.graph["crs"] = "epsg:4326"
    for u, v, d in G.edges(data=True):
        if "geometry" not in d:
            d["geometry"] = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
        if "length" not in d:
            d["length"] = float(great_circle_m(G.nodes[u]["y"], G.nodes[u]["x"], G.nodes[v]["y"], G.nodes[v]["x"]))
        length = d["length"]
        if not _finite(length) or float(length) < 0:
            raise SiegeInputError(where, f"edge {u}–{v}: expected a length in metres (0 or more), got {length!r}")
        d["length"] = float(length)
    return G


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False
