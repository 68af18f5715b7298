"""Geometry along paths of a road graph, and great-circle distances."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import shapely

#: the mean Earth radius (m) osmnx measures edge lengths on, so siege's distances match osmnx's
EARTH_RADIUS_M: float = 6_371_009.0


def great_circle_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres between points (degrees; numbers or arrays), by the haversine
    formula on the sphere osmnx uses: the same operations as ``osmnx.distance.great_circle``, so a
    length here equals osmnx's to the last bit (tested), without importing osmnx (seconds)."""
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dy, dx = y2 - y1, np.deg2rad(lon2) - np.deg2rad(lon1)
    h = np.minimum(1, np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2)
    return 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M


def path_coords(G: nx.MultiDiGraph, keys: Iterable[tuple[int, int, int]]) -> list[tuple[float, float]]:
    """The (x, y) points of consecutive edges joined into one line, each edge turned to follow on."""
    coords: list[tuple[float, float]] = []
    for u, v, k in keys:
        xy = shapely.get_coordinates(G.edges[u, v, k]["geometry"])  # one array, not a point at a time
        part = list(zip(xy[:, 0].tolist(), xy[:, 1].tolist(), strict=True))
        if coords and coords[-1] != part[0] and coords[-1] == part[-1]:
            part = part[::-1]
        coords += part if not coords else part[1:]
    return coords
