"""Routes with scipy.sparse.csgraph: fastest travel time and most reliable route from many sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from siege.solver.arrays import RoadArrays

#: Tie-break between equally reliable routes: prefer the faster one (hours × this, ≪ any real risk).
_TIE_BREAK = 1e-9


class PairEdges:
    """(src pos, dst pos) -> the edge position a route uses between them, looked up in the sorted
    node-pair codes of the chosen edges (no dictionary of every edge is built)."""

    def __init__(self, codes: np.ndarray, edges: np.ndarray, n: int) -> None:
        self.codes, self.edges, self.n = codes, edges, n

    def get(self, pair: tuple[int, int], default: int | None = None) -> int | None:
        code = pair[0] * self.n + pair[1]
        i = int(np.searchsorted(self.codes, code))
        return int(self.edges[i]) if i < len(self.codes) and self.codes[i] == code else default

    def along(self, nodes: Sequence[int]) -> list[int]:
        """The edges between consecutive ``nodes`` (one search for the whole path)."""
        if len(nodes) < 2:
            return []
        p = np.asarray(nodes, dtype=np.int64)
        return self.along_pairs(p[:-1], p[1:]).tolist()

    def along_pairs(self, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """The edges from ``tails`` to ``heads`` (element by element)."""
        codes = tails * self.n + heads
        i = np.searchsorted(self.codes, codes)
        if (i >= len(self.codes)).any() or (self.codes[np.minimum(i, len(self.codes) - 1)] != codes).any():
            raise KeyError("a route step with no edge")
        return self.edges[i]

    def __getitem__(self, pair: tuple[int, int]) -> int:
        edge = self.get(pair)
        if edge is None:
            raise KeyError(pair)
        return edge


@dataclass(frozen=True)
class Routes:
    """Shortest-path tree from a set of source nodes."""

    dist: np.ndarray  # per node; inf where unreachable
    pred: np.ndarray  # per node; -9999 at sources and unreachable nodes
    origin: np.ndarray  # per node: the source it is reached from; -9999 if unreachable
    edge_of: PairEdges  # (src pos, dst pos) -> edge position used

    def path(self, target: int) -> list[int]:
        """Node positions from the origin to ``target`` (empty if unreachable)."""
        if not np.isfinite(self.dist[target]):
            return []
        nodes = [target]
        while self.pred[nodes[-1]] >= 0:
            nodes.append(int(self.pred[nodes[-1]]))
        return nodes[::-1]

    def edges(self, target: int) -> list[int]:
        """Edge positions along the route to ``target``."""
        return self.edge_of.along(self.path(target))

    def edges_to(self, targets: Sequence[int]) -> list[np.ndarray]:
        """:meth:`edges` for many targets at once (empty where unreachable): every route is walked
        up the tree together, one step for all at a time, and their edges found in one search."""
        targets = np.asarray(targets, dtype=np.int64)
        if not len(targets):
            return []
        cur = np.where(np.isfinite(self.dist[targets]), targets, -1)
        steps = [cur]
        while (cur >= 0).any():
            cur = np.where(cur >= 0, self.pred[np.maximum(cur, 0)], -1)
            cur[cur < 0] = -1  # past the origin (its predecessor is negative)
            steps.append(cur)
        nodes = np.stack(steps, axis=1)  # (target, step up)
        child, parent = nodes[:, :-1], nodes[:, 1:]
        has = parent >= 0
        edges = np.full(child.shape, -1, dtype=np.int64)
        if has.any():
            edges[has] = self.edge_of.along_pairs(parent[has], child[has])
        lengths = has.sum(axis=1).tolist()
        return [edges[j, : lengths[j]][::-1] for j in range(len(targets))]


class RouteGraph:
    """One weighting of a network's open edges, ready for Dijkstra: built once, searched from as many
    origins as needed (the lanes of a day search it from every supply point and depot)."""

    def __init__(self, arrays: RoadArrays, weight: np.ndarray) -> None:
        self.W, best = arrays.weight_matrix(weight)
        codes = arrays.src[best] * arrays.n + arrays.dst[best]  # ascending: best is ordered by (src, dst)
        self.edge_of = PairEdges(codes, best, arrays.n)

    def routes_from(self, sources: Sequence[int]) -> Routes:
        """Multi-source Dijkstra (csgraph): the shortest-path tree from the nearest of ``sources``."""
        dist, pred, origin = dijkstra(
            self.W, directed=True, indices=np.asarray(sources, dtype=np.int64), min_only=True, return_predecessors=True
        )
        return Routes(dist=dist, pred=pred, origin=origin, edge_of=self.edge_of)

    @classmethod
    def fastest(cls, arrays: RoadArrays) -> RouteGraph:
        """Weighted by hours, delays included."""
        return cls(arrays, arrays.hours)

    @classmethod
    def most_reliable(cls, arrays: RoadArrays) -> RouteGraph:
        """Weighted by the log of survival, the fastest among equally reliable routes."""
        return cls(arrays, arrays.survival_weight + _TIE_BREAK * arrays.hours)


def shortest_from(arrays: RoadArrays, sources: Sequence[int], weight: np.ndarray) -> Routes:
    """Multi-source Dijkstra over open edges with ``weight`` per edge (csgraph)."""
    return RouteGraph(arrays, weight).routes_from(sources)


def fastest_from(arrays: RoadArrays, sources: Sequence[int]) -> Routes:
    """Fastest routes (hours, delays included) from the nearest of ``sources``."""
    return RouteGraph.fastest(arrays).routes_from(sources)


def most_reliable_from(arrays: RoadArrays, sources: Sequence[int]) -> Routes:
    """Most reliable routes (highest probability a convoy gets through), the fastest among equals."""
    return RouteGraph.most_reliable(arrays).routes_from(sources)


def survival_along(arrays: RoadArrays, edges: Sequence[int]) -> float:
    """Probability that a convoy gets through every edge: Π(1 − riskᵢ)."""
    return float(np.prod(1.0 - arrays.risk[list(edges)])) if len(edges) else 1.0
