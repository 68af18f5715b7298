"""A plain networkx implementation of the solver's per-town computations.

Slow and obvious on purpose: the tests check the scipy.sparse.csgraph solver against it, and
``benchmarks/solve.py`` uses it as the baseline. It works on a networkx graph whose edges carry
``hours``, ``risk`` and ``capacity`` (effective trucks/day), closed edges already removed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np

from siege.solver.arrays import RoadArrays


def graph_from_arrays(arrays: RoadArrays) -> nx.MultiDiGraph:
    """Open edges of ``arrays`` as a networkx graph on node positions."""
    H = nx.MultiDiGraph()
    H.add_nodes_from(range(arrays.n))
    cap = arrays.effective_capacity
    surv = arrays.survival_weight
    for i in np.flatnonzero(arrays.open):
        H.add_edge(
            int(arrays.src[i]),
            int(arrays.dst[i]),
            key=i,
            hours=float(arrays.hours[i]),
            risk=float(arrays.risk[i]),
            survival_weight=float(surv[i]),
            capacity=float(cap[i]),
        )
    return H


def fastest_hours(H: nx.MultiDiGraph, sources: Sequence[int], town: int) -> float:
    """Hours of the fastest route from any source to ``town`` (inf if none)."""
    try:
        return nx.multi_source_dijkstra(H, set(sources), target=town, weight="hours")[0]
    except nx.NetworkXNoPath:
        return math.inf


def best_survival(H: nx.MultiDiGraph, sources: Sequence[int], town: int) -> float:
    """Highest probability of getting through, over all routes from any source."""
    try:
        return math.exp(-nx.multi_source_dijkstra(H, set(sources), target=town, weight="survival_weight")[0])
    except nx.NetworkXNoPath:
        return 0.0


def _flow_graph(H: nx.MultiDiGraph, supplies, towns, sink_caps) -> nx.DiGraph:
    D = nx.DiGraph()
    for u, v, d in H.edges(data=True):
        if d["capacity"] > 0:
            prev = D.get_edge_data(u, v, {"capacity": 0.0})["capacity"]
            D.add_edge(u, v, capacity=prev + d["capacity"])
    for node, cap in supplies:
        prev = D.get_edge_data("S", node, {"capacity": 0.0})["capacity"]
        D.add_edge("S", node, capacity=prev + cap)
    for j, (node, _) in enumerate(towns):
        D.add_edge(node, ("town", j))  # no capacity attribute: unlimited
        D.add_edge(("town", j), "T", capacity=float(sink_caps[j]))
    D.add_nodes_from(["S", "T"])
    return D


def fair_delivery(
    H: nx.MultiDiGraph,
    supplies: Sequence[tuple[int, float]],
    towns: Sequence[tuple[int, float]],
    *,
    tolerance: float = 1e-4,
    flow_graph: Callable[[np.ndarray], nx.DiGraph] | None = None,
    flow_func: Callable | None = None,
) -> np.ndarray:
    """Max-min fair delivery by progressive filling with networkx maximum flows. ``flow_graph`` gives
    the flow network for the towns' sink capacities (default: built afresh each time); ``flow_func``
    is networkx's maximum-flow algorithm (default: its own, preflow–push)."""
    demand = np.array([d for _, d in towns], dtype=float)
    alloc = np.zeros(len(towns))
    active = demand > 0
    flow_graph = flow_graph or (lambda caps: _flow_graph(H, supplies, towns, caps))

    def value(caps):
        return nx.maximum_flow(flow_graph(caps), "S", "T", flow_func=flow_func)

    lo = 0.0
    while active.any():
        caps = np.where(active, demand, alloc)
        flow_value, _ = value(caps)
        if flow_value >= caps.sum() - 1e-6:
            alloc[active] = demand[active]
            break
        hi = 1.0
        while hi - lo > tolerance:
            mid = (lo + hi) / 2
            caps = np.where(active, mid * demand, alloc)
            if value(caps)[0] >= caps.sum() - 1e-6:
                lo = mid
            else:
                hi = mid
        caps = np.where(active, hi * demand, alloc)
        R = (flow_func or nx.algorithms.flow.edmonds_karp)(flow_graph(caps), "S", "T")
        residual = nx.DiGraph((u, v) for u, v, d in R.edges(data=True) if d["capacity"] - d["flow"] > 1e-9)
        residual.add_node("S")
        reach = nx.descendants(residual, "S") | {"S"}
        blocked = np.array([a and ("town", j) not in reach for j, a in enumerate(active)])
        if not blocked.any():
            blocked = active.copy()
        alloc[blocked] = lo * demand[blocked]
        active &= ~blocked
    return alloc


def min_cut_capacity(H: nx.MultiDiGraph, supply_nodes: Sequence[int], town: int) -> float:
    """Capacity of a minimum cut between the supply points (unlimited) and ``town``."""
    if town in set(supply_nodes):
        return math.inf
    D = _flow_graph(H, [], [], [])
    for s in supply_nodes:
        D.add_edge("S", s)  # unlimited
    D.add_node(town)
    if "S" not in D or not nx.has_path(D, "S", town):
        return 0.0
    return nx.minimum_cut_value(D, "S", town)
