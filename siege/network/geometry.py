"""Geometry along paths of a road graph."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx


def path_coords(G: nx.MultiDiGraph, keys: Iterable[tuple[int, int, int]]) -> list[tuple[float, float]]:
    """The (x, y) points of consecutive edges joined into one line, each edge turned to follow on."""
    coords: list[tuple[float, float]] = []
    for u, v, k in keys:
        part = [(x, y) for x, y, *_ in G.edges[u, v, k]["geometry"].coords]
        if coords and coords[-1] != part[0] and coords[-1] == part[-1]:
            part = part[::-1]
        coords += part if not coords else part[1:]
    return coords
