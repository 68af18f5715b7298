"""The road network as arrays and sparse matrices for scipy.sparse.csgraph.

One row per directed edge of the MultiDiGraph. Parallel edges are merged the way each question
needs: the best one for routes (minimum weight), all of them for flow (capacities add up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import networkx as nx
import numpy as np
from scipy.sparse import csr_array

from siege.network.modes import TRUCK_MODES
from siege.scenario.context import EdgeKey
from siege.scenario.degradation import Degradation


@dataclass(frozen=True)
class RoadArrays:
    """Edges of a network with their base attributes and (optionally) a degradation applied."""

    nodes: np.ndarray  # position -> node id
    keys: tuple[EdgeKey, ...]
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    travel_s: np.ndarray
    capacity: np.ndarray  # trucks/day
    closed: np.ndarray
    capacity_factor: np.ndarray
    delay_factor: np.ndarray
    risk: np.ndarray
    #: absolute cap in trucks/day from events (``capacity_trucks_per_day``); inf where none
    truck_cap: np.ndarray | None = None
    #: edges ordered by (src, dst), positions ascending within a pair, and where each pair starts:
    #: fixed by the network, shared by every degraded copy
    pair_order: np.ndarray | None = None
    pair_start: np.ndarray | None = None
    #: each edge's mode (road, ferry, river, air: siege/network/modes.py)
    mode: np.ndarray | None = None

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph, *, modes: frozenset[str] = TRUCK_MODES) -> RoadArrays:
        """Arrays of an undegraded network; edges of other ``modes`` than these are closed (by
        default trucks' loads: roads, ferries and the river, never air legs)."""
        nodes = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
        index = {n: i for i, n in enumerate(nodes.tolist())}
        keys, src, dst, length, travel, cap, mode = [], [], [], [], [], [], []
        for u, v, k, d in G.edges(keys=True, data=True):
            keys.append((u, v, k))
            src.append(index[u])
            dst.append(index[v])
            length.append(d["length"])
            travel.append(d["travel_time"])
            cap.append(d["capacity"])
            mode.append(d.get("mode", "road"))
        m = len(keys)
        mode_a = np.array(mode, dtype=object)
        src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
        order = np.lexsort((dst_a, src_a))  # stable: positions ascending within a pair
        code = src_a[order] * max(len(nodes), 1) + dst_a[order]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if m else np.zeros(0, dtype=np.int64)
        return cls(
            nodes=nodes,
            keys=tuple(keys),
            src=src_a,
            dst=dst_a,
            length_m=np.array(length, dtype=float),
            travel_s=np.array(travel, dtype=float),
            capacity=np.array(cap, dtype=float),
            closed=~np.isin(mode_a, list(modes)) if m else np.zeros(0, dtype=bool),
            capacity_factor=np.ones(m),
            delay_factor=np.ones(m),
            risk=np.zeros(m),
            pair_order=order,
            pair_start=starts,
            mode=mode_a,
        )

    def only(self, modes: frozenset[str]) -> RoadArrays:
        """A copy where only edges of ``modes`` are open (a convoy by air, by river, by road)."""
        mode = self.mode if self.mode is not None else np.full(len(self.keys), "road", dtype=object)
        return replace(self, closed=~np.isin(mode, list(modes)))

    @property
    def n(self) -> int:
        return len(self.nodes)

    @cached_property
    def index(self) -> dict[int, int]:
        """Node id -> position."""
        return {n: i for i, n in enumerate(self.nodes.tolist())}

    @cached_property
    def edge_index(self) -> dict[EdgeKey, int]:
        """Edge key -> position."""
        return {k: i for i, k in enumerate(self.keys)}

    def positions(self, keys) -> set[int]:
        """Positions of the edge ``keys`` that are in these arrays."""
        index = self.edge_index
        return {index[k] for k in keys if k in index}

    def degraded(self, degradation: Degradation) -> RoadArrays:
        """A copy with the degradation's factors on the affected edges."""
        position = self.edge_index
        closed, cf, df, risk = (
            self.closed.copy(),
            self.capacity_factor.copy(),
            self.delay_factor.copy(),
            self.risk.copy(),
        )
        cap = np.full(len(self.keys), np.inf) if self.truck_cap is None else self.truck_cap.copy()
        for key, effect in degradation.effects.items():
            i = position.get(key)
            if i is None:
                continue
            closed[i], cf[i], df[i], risk[i] = effect.closed, effect.capacity_factor, effect.delay_factor, effect.risk
            if effect.capacity_trucks_per_day is not None:
                cap[i] = effect.capacity_trucks_per_day
        return replace(self, closed=closed, capacity_factor=cf, delay_factor=df, risk=risk, truck_cap=cap)

    @property
    def open(self) -> np.ndarray:
        """Edges a convoy can use."""
        return ~self.closed

    @property
    def hours(self) -> np.ndarray:
        """Travel time with delays, hours."""
        return self.travel_s * self.delay_factor / 3600.0

    @property
    def survival_weight(self) -> np.ndarray:
        """−log(1 − risk): adds up along a route to −log(survival)."""
        with np.errstate(divide="ignore"):
            return -np.log1p(-np.minimum(self.risk, 1.0))

    @property
    def effective_capacity(self) -> np.ndarray:
        """Trucks/day that get through: capacity × capacity factor × (1 − risk); 0 when closed."""
        capacity = self.capacity * self.capacity_factor * (1.0 - self.risk)
        if self.truck_cap is not None:
            capacity = np.minimum(capacity, self.truck_cap)
        return np.where(self.closed, 0.0, capacity)

    def best_edges(self, weight: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Positions of the lowest-weight edge for every connected (src, dst) pair among ``mask``
        (ties: the first edge), ordered by (src, dst)."""
        mask = self.open if mask is None else mask
        if self.pair_order is None:
            return self._best_edges_sorting(weight, mask)
        order, starts = self.pair_order, self.pair_start
        sizes = np.diff(np.r_[starts, len(order)])
        chosen = np.full(len(starts), -1, dtype=np.int64)  # per pair, in (src, dst) order
        single = np.flatnonzero(sizes == 1)  # most pairs have one edge: no sorting needed
        edge = order[starts[single]]
        chosen[single] = np.where(mask[edge], edge, -1)
        shared = np.flatnonzero(sizes > 1)
        if len(shared):
            group = np.repeat(np.arange(len(starts)), sizes)
            members = np.concatenate([np.arange(starts[g], starts[g] + sizes[g]) for g in shared.tolist()])
            keep = np.zeros(len(mask), dtype=bool)
            keep[order[members]] = True
            best = self._best_edges_sorting(weight, keep & mask)
            where = np.empty(len(order), dtype=np.int64)
            where[order] = np.arange(len(order))
            chosen[group[where[best]]] = best
        return chosen[chosen >= 0]

    def _best_edges_sorting(self, weight: np.ndarray, mask: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(mask)
        order = pos[np.lexsort((weight[pos], self.dst[pos], self.src[pos]))]
        pair = self.src[order] * self.n + self.dst[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        return order[first]

    def weight_matrix(self, weight: np.ndarray, mask: np.ndarray | None = None) -> tuple[csr_array, np.ndarray]:
        """A csgraph matrix of the lowest weight per node pair, and the edge position behind each entry."""
        best = self.best_edges(weight, mask)
        W = csr_array((weight[best], (self.src[best], self.dst[best])), shape=(self.n, self.n))
        return W, best
