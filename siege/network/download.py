"""Live download of a road network through osmnx (Overpass API), cached on disk, saved as GraphML.

Needs internet the first time; osmnx's HTTP cache answers repeated queries offline, and the saved
GraphML needs no network at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import requests
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from siege import settings
from siege.errors import SiegeInputError
from siege.network.osm import finish_graph, osm_tags, road_class_filter, save_graphml


def read_polygon(path: str | Path) -> BaseGeometry:
    """The union of the polygons in a GeoJSON (or any vector) file, in EPSG:4326."""
    path = Path(path)
    if not path.is_file():
        raise SiegeInputError(str(path), "no such file (expected a GeoJSON polygon)")
    try:
        gdf = gpd.read_file(path).to_crs(4326)
    except Exception as err:  # pyogrio raises several kinds on a bad file
        raise SiegeInputError(str(path), f"not a readable vector file ({err})") from None
    geom = gdf.geometry.union_all()
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise SiegeInputError(str(path), "expected Polygon or MultiPolygon features")
    return geom


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` in degrees to a tuple, checked."""
    try:
        west, south, east, north = (float(x) for x in text.split(","))
    except ValueError:
        raise SiegeInputError(f"bbox {text!r}", "expected four numbers WEST,SOUTH,EAST,NORTH in degrees") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise SiegeInputError(f"bbox {text!r}", "expected WEST < EAST and SOUTH < NORTH within ±180/±90")
    return west, south, east, north


def download_network(
    *,
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: BaseGeometry | None = None,
    road_classes: Iterable[str] = settings.DEFAULT_ROAD_CLASSES,
    largest_component: bool = False,
    cache_folder: str | Path | None = None,
    out: str | Path | None = None,
) -> nx.MultiDiGraph:
    """Download the roads of a named place, a bbox ``(W, S, E, N)`` or a polygon through osmnx.

    Responses go to osmnx's on-disk cache (``cache_folder``, default osmnx's), so the same query
    runs again offline. With ``out`` the graph is also saved as GraphML.
    """
    if sum(x is not None for x in (place, bbox, polygon)) != 1:
        raise SiegeInputError("download", "give exactly one of place, bbox or polygon")
    road_classes = tuple(road_classes)
    where = f"place {place!r}" if place else f"bbox {tuple(bbox)}" if bbox is not None else "polygon"
    saved = (ox.settings.use_cache, ox.settings.cache_folder)
    ox.settings.use_cache = True
    if cache_folder is not None:
        ox.settings.cache_folder = str(cache_folder)
    try:
        with osm_tags():
            if place is not None:
                polygon = ox.geocoder.geocode_to_gdf(place).geometry.union_all()
            elif bbox is not None:
                polygon = box(*bbox)
            G = ox.graph_from_polygon(
                polygon, custom_filter=road_class_filter(road_classes), simplify=False, retain_all=True
            )
    except requests.RequestException as err:
        raise SiegeInputError(
            where, f"could not reach OpenStreetMap services ({type(err).__name__}); no cached answer"
        ) from None
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as err:
        raise SiegeInputError(where, f"no road data found ({err})") from None
    finally:
        ox.settings.use_cache, ox.settings.cache_folder = saved
    G = finish_graph(G, where=f"download of {where}", road_classes=road_classes, largest_component=largest_component)
    if out is not None:
        save_graphml(G, out)
    return G
