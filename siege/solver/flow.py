"""Throughput and chokepoints by maximum flow (scipy.sparse.csgraph.maximum_flow).

Throughput is solved jointly for all towns: a road's capacity used for one town is not available to
another. Among the many maximum flows, siege reports the **max-min fair** one (progressive filling):
every town's served fraction rises together until a bottleneck stops a group of towns, which keep
that fraction, and the others rise further. So no town is starved to feed another more than its
share, and the result does not depend on the order of towns.

Chokepoints of a town are a minimum cut between the supply points and the town: the segments whose
closure would finish the job, weighted by the capacity they carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from siege.solver.arrays import RoadArrays

#: Capacities are integers for the max-flow algorithm: thousandths of a truck per day.
SCALE = 1000
_INT_MAX = np.iinfo(np.int32).max


@dataclass(frozen=True)
class FairFlow:
    """Trucks/day delivered to each town, and the flow on each edge (trucks/day)."""

    delivered: np.ndarray
    edge_flow: np.ndarray
    levels: int  # number of progressive-filling rounds


class FlowNetwork:
    """Road edges plus a super-source (to supply nodes) and a super-sink (from one node per town)."""

    def __init__(self, arrays: RoadArrays, capacity: np.ndarray, supplies, towns) -> None:
        self.arrays = arrays
        n = arrays.n
        self.source, self.sink = n, n + 1
        self.town_nodes = np.array([t for t, _ in towns], dtype=np.int64)
        self.virtual = n + 2 + np.arange(len(towns))  # one node per town, so towns sharing a node stay apart
        self.size = n + 2 + len(towns)
        road_cap = np.floor(capacity * SCALE).astype(np.int64)
        keep = road_cap > 0
        self.road_rows, self.road_cols, self.road_cap = arrays.src[keep], arrays.dst[keep], road_cap[keep]
        supply_nodes: dict[int, int] = {}
        for node, cap in supplies:
            supply_nodes[node] = supply_nodes.get(node, 0) + int(cap * SCALE)
        self.supply_nodes = supply_nodes
        # a finite "infinity": more than everything that can flow
        self.big = int(min(_INT_MAX // 4, self.road_cap.sum() + sum(supply_nodes.values()) + 1))
        self._templates: dict[bool, tuple[csr_array, np.ndarray]] = {}

    def matrix(self, sink_caps: np.ndarray, *, unlimited_supply: bool = False) -> csr_array:
        """The flow network with the towns' sink arcs at ``sink_caps``: the roads' part is built once
        (a filling solves many flows on the same roads) and copied, only the sink arcs set."""
        cached = self._templates.get(unlimited_supply)
        if cached is None:
            M = self._matrix(np.zeros(len(self.virtual), dtype=np.int64), unlimited_supply=unlimited_supply)
            # a town's virtual node has one arc, to the sink: its row's only entry
            cached = self._templates[unlimited_supply] = (M, M.indptr[self.virtual])
        template, at = cached
        M = template.copy()
        M.data[at] = np.minimum(np.asarray(sink_caps, dtype=np.int64), _INT_MAX).astype(np.int32)
        return M

    def _matrix(self, sink_caps: np.ndarray, *, unlimited_supply: bool = False) -> csr_array:
        s_nodes = np.fromiter(self.supply_nodes, dtype=np.int64)
        s_caps = np.fromiter(self.supply_nodes.values(), dtype=np.int64)
        if unlimited_supply:
            s_caps = np.full_like(s_caps, self.big)
        rows = np.concatenate([self.road_rows, np.full(len(s_nodes), self.source), self.town_nodes, self.virtual])
        cols = np.concatenate([self.road_cols, s_nodes, self.virtual, np.full(len(self.virtual), self.sink)])
        caps = np.concatenate([self.road_cap, s_caps, np.full(len(self.virtual), self.big), sink_caps])
        M = csr_array((np.minimum(caps, _INT_MAX).astype(np.int32), (rows, cols)), shape=(self.size, self.size))
        M.sum_duplicates()
        M.data = np.minimum(M.data, _INT_MAX).astype(np.int32)
        return M

    def reachable_in_residual(self, M: csr_array, flow: csr_array, *, to_sink: bool = False) -> np.ndarray:
        """Nodes reachable from the super-source in the residual network (or, with ``to_sink``, the
        nodes from which the super-sink is reachable)."""
        R = (M.astype(np.int64) - flow.astype(np.int64)).tocsr()
        R.data = (R.data > 0).astype(np.int8)
        R.eliminate_zeros()
        start = self.source
        if to_sink:
            R, start = R.T.tocsr(), self.sink
        order = breadth_first_order(R, start, directed=True, return_predecessors=False)
        mask = np.zeros(self.size, dtype=bool)
        mask[order] = True
        return mask


def fair_throughput(
    arrays: RoadArrays,
    supplies: Sequence[tuple[int, float]],
    towns: Sequence[tuple[int, float]],
    *,
    tolerance: float = 1e-6,
) -> FairFlow:
    """Max-min fair delivery (trucks/day) to ``towns`` = [(node position, demand)] from
    ``supplies`` = [(node position, capacity)] over the effective edge capacities.

    ``tolerance`` is the precision of each filling level as a fraction of demand (bisection).
    """
    net = FlowNetwork(arrays, arrays.effective_capacity, supplies, towns)
    demand = np.array([d for _, d in towns], dtype=float)
    demand_int = np.floor(demand * SCALE).astype(np.int64)
    alloc = np.zeros(len(towns), dtype=np.int64)
    active = demand_int > 0
    levels = 0

    # every maximum flow found so far, with what it delivers to each town: one that delivers no town
    # more than a new network's sink arcs allow is a flow of that network too (the roads are the
    # same), so the new maximum is found in its residual network (a small flow) instead of from zero
    solved: list[tuple[np.ndarray, csr_array, int]] = []

    def max_flow(caps: np.ndarray) -> tuple[csr_array, csr_array, int]:
        M = net.matrix(caps)
        fits = [k for k in solved if (k[0] <= caps).all()]
        if fits:
            _, F, value = max(fits, key=lambda k: k[2])
            if value >= int(caps.sum()):  # every sink arc full already: nothing more can flow
                return M, F, value
            R = (M.astype(np.int64) - F).tocsr()
            R.data = np.maximum(R.data, 0).astype(np.int32)
            R.eliminate_zeros()
            more = maximum_flow(R, net.source, net.sink, method="dinic")
            F, value = (F + more.flow.astype(np.int64)).tocsr(), value + int(more.flow_value)
        else:
            result = maximum_flow(M, net.source, net.sink, method="dinic")
            F, value = result.flow.astype(np.int64).tocsr(), int(result.flow_value)
        solved.append((np.asarray(F[net.virtual, np.full(len(net.virtual), net.sink)]).ravel(), F, value))
        return M, F, value

    def flow_at(t: float, caps=None):
        if caps is None:
            caps = np.where(active, np.floor(t * demand_int).astype(np.int64), alloc)
        M, F, value = max_flow(caps)
        return value >= caps.sum(), M, F, value

    def highest_level(lo: float):
        """The highest filling level the active towns can all reach (Newton's method on the minimum
        cut, as Dinkelbach's for parametric flows): each maximum flow that falls short gives a cut,
        and the level at which that cut is just enough; a few flows instead of a bisection's twenty.
        Returns the level and the towns behind the last cut that fell short (the bottleneck: at that
        level its roads are full), or (``lo``, None) when a step does not move (rounding): ``lo`` is a
        level known to be reachable, and the search below climbs from there."""
        t = 1.0
        a_tot = int(alloc[~active].sum())
        behind, room = None, 0
        for _ in range(60):
            ok, M, F, value = flow_at(t)
            if ok:
                return t, behind, room
            cut = net.reachable_in_residual(M, F)[net.virtual]  # a town's sink arc crosses
            caps = np.floor(t * demand_int).astype(np.int64)
            fixed = value - int(caps[active & cut].sum())
            left = int(demand_int[active & ~cut].sum())
            step = (fixed - a_tot) / left if left > 0 else lo
            if not lo <= step < t - tolerance / 2:
                break
            t, behind, room = step, active & ~cut, fixed - a_tot
        return lo, None, 0

    lo = 0.0
    while active.any():
        levels += 1
        lo, behind, room = highest_level(lo)
        if lo >= 1.0:  # every active town served whole
            alloc[active] = demand_int[active]
            break
        if behind is not None and behind.any():
            # reached at the level that cut is just enough for: the towns behind it are the bottleneck.
            # Rounded down to whole units, its roads keep a few units spare: they go to the towns whose
            # next unit comes at the lowest level, as a level raised by rounding would give them
            idx = np.flatnonzero(behind)
            share = np.floor(lo * demand_int[idx]).astype(np.int64)
            spare = int(room - share.sum())
            if 0 <= spare < len(idx):
                order = np.lexsort((idx, (share + 1) / demand_int[idx]))
                share[order[:spare]] += 1
                caps = np.where(active, np.floor(lo * demand_int).astype(np.int64), alloc)
                caps[idx] = share
                if flow_at(lo, caps)[0]:
                    alloc[idx] = share
                    active &= ~behind
                    continue
        # rounding: from a level just out of reach (rounded capacities may reach a little higher
        # than the level found: step up until a flow falls short), as close as they allow
        step = tolerance
        while True:
            hi = min(1.0, lo + step)
            ok, M, F, _ = flow_at(hi)
            if not ok or hi >= 1.0:
                break
            lo, step = hi, step * 2
        while hi - lo > tolerance / 8:
            mid = (lo + hi) / 2
            ok_mid, M_mid, F_mid, _ = flow_at(mid)
            if ok_mid:
                lo = mid
            else:
                hi, M, F = mid, M_mid, F_mid
        reach = net.reachable_in_residual(M, F)
        blocked = active & ~reach[net.virtual]
        if not blocked.any():  # rounding: the bottleneck is within tolerance of full service
            blocked = active.copy()
        alloc[blocked] = np.floor(lo * demand_int[blocked]).astype(np.int64)
        active &= ~blocked

    _, F, _ = max_flow(alloc)
    edge_flow = np.zeros(len(arrays.keys))
    pos = np.flatnonzero(arrays.effective_capacity * SCALE >= 1)
    if len(pos):
        # flow between a node pair is shared among its parallel edges in proportion to capacity
        pair_flow = np.asarray(F[arrays.src[pos], arrays.dst[pos]]).ravel().astype(float)
        cap = np.floor(arrays.effective_capacity[pos] * SCALE)
        _, pair = np.unique(arrays.src[pos] * arrays.n + arrays.dst[pos], return_inverse=True)
        share = cap / np.bincount(pair, weights=cap)[pair]
        edge_flow[pos] = np.maximum(pair_flow, 0.0) * share / SCALE
    virtual_in = np.asarray(F[net.town_nodes, net.virtual]).ravel()
    return FairFlow(delivered=virtual_in / SCALE, edge_flow=edge_flow, levels=levels)


@dataclass(frozen=True)
class Cut:
    """A minimum cut between the supply points and one town."""

    edges: np.ndarray  # edge positions (directed, supply side -> town side)
    capacity: float  # trucks/day across the cut


def chokepoints(arrays: RoadArrays, supply_nodes: Sequence[int], town: int) -> Cut:
    """Minimum-capacity cut of open roads between the supply points (unlimited) and ``town``.

    Of the minimum cuts, the one nearest the town: the segments that decide *this* town's supply,
    not a bottleneck shared with half the country at a distant port.
    """
    if town in set(supply_nodes):
        return Cut(np.array([], dtype=np.int64), float("inf"))
    cap = arrays.effective_capacity
    net = FlowNetwork(arrays, cap, [(s, 1.0) for s in supply_nodes], [(town, 0.0)])
    M = net.matrix(np.array([net.big]), unlimited_supply=True)
    result = maximum_flow(M, net.source, net.sink, method="dinic")
    town_side = net.reachable_in_residual(M, result.flow, to_sink=True)
    scaled = np.floor(cap * SCALE)
    cut = np.flatnonzero(~town_side[arrays.src] & town_side[arrays.dst] & (scaled > 0))
    return Cut(cut, result.flow_value / SCALE)


def chain_chokepoints(
    arrays: RoadArrays, lanes: Sequence[Sequence[int]], origins: Sequence[int], town: int, *, limit: int
) -> tuple[list[int], list[float]]:
    """The segments of a town's own supply lanes whose closure cuts the town from them, nearest the
    town first, with their distance from it (km along the lane, from the segment's town-side end).

    Where every lane needs one segment (the road into the town, where the lanes merge, the whole of a
    single lane), those segments, at most ``limit``; where none is shared (lanes that stay apart to the
    town's gate), the fewest segments that cut every lane, the set nearest the town. ``lanes``: edge
    positions from an origin to the town; ``origins``: where the lanes start.
    """
    if town in set(origins) or not any(len(lane) for lane in lanes):
        return [], []
    km: dict[int, float] = {}
    for lane in lanes:
        to_town = np.concatenate([np.cumsum(arrays.length_m[np.asarray(lane[::-1], dtype=np.int64)])[:-1][::-1], [0.0]])
        for e, d in zip(lane, to_town.tolist(), strict=True):
            km[int(e)] = min(km.get(int(e), np.inf), d / 1000.0)
    sub = np.array(sorted(km), dtype=np.int64)
    shared = set(map(int, lanes[0])).intersection(*(map(int, lane) for lane in lanes[1:]))
    chosen = [e for e in sorted(shared, key=lambda e: (km[e], e)) if not _reaches(arrays, sub, origins, town, e)]
    if not chosen:  # the lanes stay apart: the fewest segments cutting all of them, nearest the town
        only = np.ones(len(arrays.closed), dtype=bool)
        only[sub] = False
        ones, m = np.ones(len(arrays.closed)), len(arrays.closed)
        unit = replace(
            arrays, closed=arrays.closed | only, capacity=ones, capacity_factor=ones, risk=np.zeros(m), truck_cap=None
        )
        chosen = sorted(chokepoints(unit, origins, town).edges.tolist(), key=lambda e: (km.get(e, np.inf), e))
    chosen = chosen[:limit]
    return chosen, [round(km.get(e, float("nan")), 1) for e in chosen]


def _reaches(arrays: RoadArrays, edges: np.ndarray, origins: Sequence[int], town: int, without: int) -> bool:
    """Whether ``town`` can be reached from ``origins`` over ``edges`` once edge ``without`` is closed."""
    keep = edges[edges != without]
    nodes, local = np.unique(
        np.concatenate([arrays.src[keep], arrays.dst[keep], list(origins), [town]]), return_inverse=True
    )
    k = len(keep)
    src, dst = local[:k], local[k : 2 * k]
    start = local[2 * k : 2 * k + len(origins)]
    root = len(nodes)  # one node before every origin
    rows = np.concatenate([src, np.full(len(start), root)])
    cols = np.concatenate([dst, start])
    graph = csr_array((np.ones(len(rows)), (rows, cols)), shape=(root + 1, root + 1))
    return bool(np.isin(local[-1], breadth_first_order(graph, root, directed=True, return_predecessors=False)))
