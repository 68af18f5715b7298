"""Export a network as GeoPackage (layers ``edges``, ``nodes``, ``places``), GeoJSON or GraphML."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd

from siege.errors import SiegeInputError
from siege.io import atomic_path, check_writable_target
from siege.network.osm import save_graphml
from siege.places import SnappedPlace

EXPORT_SUFFIXES = (".gpkg", ".geojson", ".graphml")


def network_gdfs(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges as GeoDataFrames with list values joined by ``;`` (file formats want scalars)."""
    nodes, edges = ox.convert.graph_to_gdfs(G)
    nodes, edges = nodes.reset_index(), edges.reset_index()
    for df in (nodes, edges):
        for col in df.columns:
            if col != "geometry" and df[col].map(lambda v: isinstance(v, (list, tuple, set))).any():
                df[col] = df[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, set)) else v)
    return nodes, edges


def places_gdf(snapped: Iterable[SnappedPlace]) -> gpd.GeoDataFrame:
    """Places with their snapped node and snap distance."""
    rows = [
        {
            "name": s.place.name,
            "kind": s.place.kind,
            "population": s.place.population,
            "position": s.place.position,
            "node": s.node,
            "snap_km": s.snap_km,
            "lon": s.place.lon,
            "lat": s.place.lat,
        }
        for s in snapped
        if s.place.located
    ]
    df = pd.DataFrame(rows, columns=["name", "kind", "population", "position", "node", "snap_km", "lon", "lat"])
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")


def export_network(G: nx.MultiDiGraph, out: str | Path, *, places: Iterable[SnappedPlace] = ()) -> Path:
    """Write ``G`` (and snapped places) to ``out``; the format follows the suffix. Atomic."""
    out = check_writable_target(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SiegeInputError(
            str(out), f"unknown export format (expected a file ending in {', '.join(EXPORT_SUFFIXES)})"
        )
    if suffix == ".graphml":
        return save_graphml(G, out)
    nodes, edges = network_gdfs(G)
    with atomic_path(out) as tmp:
        if suffix == ".gpkg":
            edges.to_file(tmp, layer="edges", driver="GPKG")
            nodes.to_file(tmp, layer="nodes", driver="GPKG")
            places = list(places)
            if places:
                places_gdf(places).to_file(tmp, layer="places", driver="GPKG")
        else:
            both = pd.concat([edges.assign(layer="edges"), nodes.assign(layer="nodes")], ignore_index=True)
            gpd.GeoDataFrame(both, geometry="geometry", crs=edges.crs).to_file(tmp, driver="GeoJSON")
    return out
