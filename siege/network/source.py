"""One entry point for every network source: the bundled Mali network, OSM XML, OSM PBF, GraphML."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import networkx as nx

from siege import settings
from siege.collector import collector_paused
from siege.errors import SiegeInputError
from siege.network import bundled, cache
from siege.network.attributes import Table

# siege.network.osm imports osmnx (a second or more): it is imported only to read a file

SCHEMATIC_NOTE = (
    "SCHEMATIC network: built from published facts (GeoNames/Wikipedia town positions, the order of towns "
    "along each national road, published road distances), not from OpenStreetMap geometry. Road shapes are "
    "drawn, lengths are calibrated to published distances. For real geometry, pass an OSM extract "
    "(e.g. a Geofabrik or HOT export of Mali): siege network info mali-latest.osm.pbf"
)


def source_kind(source: str | Path | None) -> str:
    """``bundled``, ``osm_xml``, ``pbf`` or ``graphml`` for a source given by name or path."""
    if source is None or str(source) == settings.BUNDLED_NETWORK:
        return "bundled"
    name = Path(source).name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith(settings.OSM_XML_SUFFIXES):
        return "osm_xml"
    raise SiegeInputError(
        str(source),
        f"unknown network source (expected '{settings.BUNDLED_NETWORK}' or a .osm, .osm.gz, .osm.bz2, "
        ".osm.pbf or .graphml file)",
    )


def load_network(
    source: str | Path | None = None,
    *,
    road_classes: Iterable[str] = settings.DEFAULT_ROAD_CLASSES,
    largest_component: bool = False,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Load a road network in the siege schema. ``None`` or ``"mali"`` is the bundled network.

    ``road_classes`` widens or narrows the OSM ``highway`` classes kept; ``largest_component``
    keeps only the largest strongly connected component. GraphML files are loaded as saved.
    """
    kind = source_kind(source)
    options = {
        "road_classes": road_classes,
        "largest_component": largest_component,
        "speeds": speeds,
        "capacities": capacities,
    }
    if kind == "graphml":
        from siege.network.osm import load_graphml

        return load_graphml(source)
    # OSM files, the bundled one too: the prepared graph is cached (siege/network/cache.py), keyed by
    # file and options (a cached load needs neither osmnx nor the XML parser)
    path = bundled.osm_path() if kind == "bundled" else Path(source)
    key = built = None
    if path.is_file() and cache.cache_dir() is not None:
        plain = {k: (list(v) if k == "road_classes" else v) for k, v in options.items()}
        key, built = cache.cache_key(path, plain), cache.built_from(path, plain)
        cached = cache.load(key, built, where=str(path))
        if cached is not None:
            return cached
    from siege.network.osm import graph_from_osm_xml, graph_from_pbf

    with collector_paused():
        G = graph_from_pbf(path, **options) if kind == "pbf" else graph_from_osm_xml(path, **options)
    if kind == "bundled":
        G.graph.update(source=f"bundled {settings.BUNDLED_NETWORK} network ({path})", schematic=True)
    if key is not None:
        cache.save(key, G, built)
    return G
