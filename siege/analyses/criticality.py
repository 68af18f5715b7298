"""Criticality: what closing each road segment alone costs, on the scenario's (already degraded) network.

For every open segment (both directions of a road): the towns it would isolate, their population,
the supply lost (trucks/day and share of all demand), and the travel hours it would add over all
supply routes. Fast by structure, equal to closing each segment and re-solving (tested):

- **supply lost** — only a segment that carries flow in the current (fair) flow can lower it. The
  flow it carried is first rerouted round it in the residual network, on one short detour with room
  for all of it or split over a few (if that succeeds, the same total flows without the segment:
  nothing lost); otherwise one maximum flow is solved;
- **added hours and isolation** — only a segment on some town's current fastest route can make any
  route slower or cut a town off (a closure elsewhere leaves every fastest route in place),
  and only for the nodes below it in the shortest-path tree (every other node keeps its route). So
  each such segment re-solves that subtree alone: a Dijkstra over the subtree's nodes, entered from
  the rest of the network at the distances it already has — exactly what a full re-solve gives; a
  town it no longer reaches is cut off by that segment.

Multi-segment failures (``k`` ≥ 2): the worst sets by population cut off, exactly (every combination)
while the number of combinations is at most ``exact_limit``, greedily beyond (add the segment that
cuts off the most additional population, k times).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, depth_first_order, dijkstra, maximum_flow

from siege import settings
from siege.collector import collector_paused
from siege.solver.arrays import RoadArrays
from siege.solver.flow import SCALE, FlowNetwork, fair_throughput
from siege.solver.routes import fastest_from

#: how many nodes a detour search may visit, and how many detours a closed pair's flow may be split
#: over, before a maximum flow decides instead
_DETOUR_NODES = 400
_DETOUR_PATHS = 8


@dataclass(frozen=True)
class Segments:
    """Road segments (both directions of a road) of a network's arrays."""

    of_edge: np.ndarray  # edge position -> segment id
    edges: tuple[tuple[int, ...], ...]  # segment id -> edge positions

    @classmethod
    def of(cls, arrays: RoadArrays) -> Segments:
        """Both directions of a road (same end nodes, same key) are one segment; ids in order of first
        appearance."""
        m = len(arrays.keys)
        if not m:
            return cls(np.empty(0, dtype=np.int64), ())
        k = np.fromiter((key[2] for key in arrays.keys), dtype=np.int64, count=m)
        a, b = np.minimum(arrays.src, arrays.dst).astype(np.int64), np.maximum(arrays.src, arrays.dst).astype(np.int64)
        span = int(k.max()) - int(k.min()) + 1
        if arrays.n * arrays.n * span < 2**62:  # one integer per (ends, key): a flat sort, not one by rows
            codes = (a * arrays.n + b) * span + (k - int(k.min()))
            _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        else:
            _, first, inverse = np.unique(np.stack([a, b, k], axis=1), axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        of_edge = rank[inverse]
        by_segment = np.argsort(of_edge, kind="stable")
        bounds = np.searchsorted(of_edge[by_segment], np.arange(len(first) + 1))
        members = by_segment.tolist()
        edges = tuple(tuple(members[bounds[s] : bounds[s + 1]]) for s in range(len(first)))
        return cls(of_edge, edges)

    def __len__(self) -> int:
        return len(self.edges)

    def open(self, arrays: RoadArrays) -> list[int]:
        """Segments with at least one open direction."""
        any_open = np.zeros(len(self.edges), dtype=bool)
        np.logical_or.at(any_open, self.of_edge, np.asarray(arrays.open, dtype=bool))
        return np.flatnonzero(any_open).tolist()


def close_segments(arrays: RoadArrays, segments: Segments, ids: Sequence[int]) -> RoadArrays:
    """A copy of ``arrays`` with every direction of the given segments closed."""
    closed = arrays.closed.copy()
    for s in ids:
        closed[list(segments.edges[s])] = True
    return replace(arrays, closed=closed)


@dataclass(slots=True)
class SegmentCriticality:
    """What closing one segment alone costs."""

    segment: int
    towns_isolated: list[int]  # indices into the towns list
    population_cut_off: int
    demand_lost: float  # trucks/day
    added_hours: float  # over all towns still reachable
    #: towns of ``towns_isolated`` cut off from the imports of some of their commodities only -> those
    only: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class CriticalityResult:
    """Per-segment criticality, ranked, and the worst multi-segment sets."""

    segments: Segments
    table: list[SegmentCriticality]
    total_demand: float
    worst_sets: list[tuple[tuple[int, ...], int, list[int]]]  # (segments, population cut off, towns)
    worst_sets_method: str

    def ranked(self) -> list[SegmentCriticality]:
        return sorted(self.table, key=lambda c: (-c.population_cut_off, -c.demand_lost, -c.added_hours, c.segment))


def reached_from(arrays: RoadArrays, sources: Sequence[int]) -> np.ndarray:
    """Nodes reachable from any source over open edges."""
    n = arrays.n
    pos = np.flatnonzero(arrays.open)
    rows = np.concatenate([np.full(len(sources), n), arrays.src[pos]])
    cols = np.concatenate([np.asarray(sources, dtype=np.int64), arrays.dst[pos]])
    M = csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(M, n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


def max_delivery(arrays: RoadArrays, supplies, towns) -> float:
    """Total trucks/day the network can deliver to the towns (capped at demand): one maximum flow."""
    return _DeliveryFlows(arrays, supplies, towns).without([])


class _DeliveryFlows:
    """:func:`max_delivery` with edges taken out, on one flow network built once: closing an edge
    takes its integer capacity off its node pair's entry, the same matrix a rebuild would give."""

    def __init__(self, arrays: RoadArrays, supplies, towns) -> None:
        capacity = arrays.effective_capacity
        self.capacity = np.floor(capacity * SCALE).astype(np.int64)  # as FlowNetwork scales each edge
        net = FlowNetwork(arrays, capacity, supplies, towns)
        self.M = net.matrix(np.floor(np.array([d for _, d in towns]) * SCALE).astype(np.int64))
        self.source, self.sink, self.arrays = net.source, net.sink, arrays

    def without(self, edges) -> float:
        M = self.M.copy() if len(edges) else self.M
        for i in edges:
            if self.capacity[i] <= 0:
                continue  # never in the network
            u, v = int(self.arrays.src[i]), int(self.arrays.dst[i])
            row = slice(M.indptr[u], M.indptr[u + 1])
            at = M.indptr[u] + int(np.searchsorted(M.indices[row], v))  # rows are sorted (duplicates summed)
            M.data[at] -= self.capacity[i]
        return maximum_flow(M, self.source, self.sink, method="dinic").flow_value / SCALE


@collector_paused()
def criticality(
    arrays: RoadArrays,
    supplies: Sequence[tuple[int, float]],
    towns: Sequence[tuple[int, float]],
    population: Sequence[int],
    *,
    k: int = 1,
    exact_limit: int = 20_000,
) -> CriticalityResult:
    """Criticality of every open segment (see module docstring)."""
    segments = Segments.of(arrays)
    sources = sorted({s for s, _ in supplies})
    town_nodes = [t for t, _ in towns]
    population = list(population)
    added, iso = added_hours(arrays, segments, sources, town_nodes)
    lost = supply_lost(arrays, segments, supplies, towns)

    table = []
    for s in segments.open(arrays):
        if s not in iso and s not in lost and s not in added:  # most segments: no route, no flow through them
            table.append(SegmentCriticality(s, [], 0, 0.0, 0.0))
            continue
        isolated = sorted(iso[s]) if s in iso else []
        table.append(
            SegmentCriticality(
                segment=s,
                towns_isolated=isolated,
                population_cut_off=int(sum(population[j] or 0 for j in isolated)) if isolated else 0,
                demand_lost=round(lost.get(s, 0.0), 3),
                added_hours=round(added.get(s, 0.0), 4),
            )
        )
    worst, method = (
        worst_sets(arrays, segments, sources, town_nodes, population, k=k, exact_limit=exact_limit)
        if k >= 2
        else ([], "")
    )
    return CriticalityResult(segments, table, float(sum(d for _, d in towns)), worst, method)


def supply_lost(arrays: RoadArrays, segments: Segments, supplies, towns) -> dict[int, float]:
    """Segment id -> trucks/day its closure alone takes off the current (fair) delivery.

    Only a segment carrying flow can lower it. Before re-solving a maximum flow, try to reroute the
    flow a closed segment carried: if short detours in the residual network (one, or several sharing
    it) take all of it, the same total still flows without the segment, so nothing is lost (exact, in
    the solver's integer units); otherwise one maximum flow decides."""
    flow = fair_throughput(arrays, supplies, towns)
    before = float(flow.delivered.sum())
    carrying = sorted({int(segments.of_edge[i]) for i in np.flatnonzero(flow.edge_flow > 1e-9)})
    if not carrying:
        return {}
    n = arrays.n
    # node pairs as the solver sees them: integer capacity (sum of parallel edges) and integer flow
    scaled = np.floor(arrays.effective_capacity * SCALE).astype(np.int64)
    pos = np.flatnonzero(scaled > 0)
    code = arrays.src[pos] * n + arrays.dst[pos]
    pairs, pair_of = np.unique(code, return_inverse=True)
    cap = np.bincount(pair_of, weights=scaled[pos]).astype(np.int64)
    edge_pair = np.full(len(arrays.keys), -1, dtype=np.int64)
    edge_pair[pos] = pair_of
    edge_flow_int = np.rint(flow.edge_flow * SCALE).astype(np.int64)
    pflow = np.bincount(pair_of, weights=edge_flow_int[pos], minlength=len(pairs)).astype(np.int64)
    a, b = pairs // n, pairs % n
    # residual arcs: forward (capacity left) and backward (flow that can be cancelled), by tail node
    tail = np.r_[a, b]
    head = np.r_[b, a]
    room = np.r_[cap - pflow, pflow]
    arc_pair = np.r_[np.arange(len(pairs)), np.arange(len(pairs))]
    forward = np.r_[np.ones(len(pairs), dtype=bool), np.zeros(len(pairs), dtype=bool)]
    order = np.argsort(tail, kind="stable")
    tail, head, room, arc_pair, forward = tail[order], head[order], room[order], arc_pair[order], forward[order]
    start = np.searchsorted(tail, np.arange(n + 1))
    head_l, tail_l, room_l = head.tolist(), tail.tolist(), room.tolist()
    pair_l, fwd_l = arc_pair.tolist(), forward.tolist()

    def reroute(excess: dict[int, int], cut: dict[int, int]) -> bool:
        """Whether the flow the closed segment's pairs can no longer carry (``excess``, with ``cut``
        their capacity taken off) goes round them in the residual network: for each pair, augmenting
        paths from its tail to its head (each search visits at most ``_DETOUR_NODES`` nodes, at most
        ``_DETOUR_PATHS`` paths a pair), the whole excess on one path where one has room, else split
        over several. ``delta`` is the change of each pair's flow as paths are taken."""
        delta = {p: -need for p, need in excess.items()}

        def room_of(k: int) -> int:
            p = pair_l[k]
            return room_l[k] - cut.get(p, 0) - delta.get(p, 0) if fwd_l[k] else room_l[k] + delta.get(p, 0)

        def path(src: int, dst: int, least: int) -> list[int] | None:
            via, frontier = {src: -1}, [src]
            while frontier and len(via) < _DETOUR_NODES:
                nxt = []
                for x in frontier:
                    for k in range(start[x], start[x + 1]):
                        y = head_l[k]
                        if y in via or room_of(k) < least:
                            continue
                        via[y] = k
                        if y == dst:
                            arcs = []
                            while y != src:
                                arcs.append(via[y])
                                y = tail_l[via[y]]
                            return arcs
                        nxt.append(y)
                frontier = nxt
            return None

        for p, need in excess.items():
            src, dst = int(a[p]), int(b[p])
            for _ in range(_DETOUR_PATHS):
                arcs = path(src, dst, need) or path(src, dst, 1)
                if arcs is None:
                    return False
                push = min(need, *(room_of(k) for k in arcs))
                for k in arcs:
                    delta[pair_l[k]] = delta.get(pair_l[k], 0) + (push if fwd_l[k] else -push)
                need -= push
                if need == 0:
                    break
            else:
                return False
        return True

    lost: dict[int, float] = {}
    flows = None  # built for the first segment no detour relieves
    for s in carrying:
        removed: dict[int, int] = {}
        for i in segments.edges[s]:
            if edge_pair[i] >= 0:
                removed[int(edge_pair[i])] = removed.get(int(edge_pair[i]), 0) + int(scaled[i])
        excess = {p: int(pflow[p] - (cap[p] - r)) for p, r in removed.items() if pflow[p] > cap[p] - r}
        if not excess:
            lost[s] = 0.0  # parallel roads between the same nodes take the flow
            continue
        if reroute(excess, removed):
            lost[s] = 0.0  # the same total still flows without the segment: nothing lost
            continue
        flows = flows or _DeliveryFlows(arrays, supplies, towns)
        lost[s] = max(0.0, before - flows.without(segments.edges[s]))
    return lost


@collector_paused()
def added_hours(
    arrays: RoadArrays, segments: Segments, sources, town_nodes
) -> tuple[dict[int, float], dict[int, list[int]]]:
    """Segment id -> hours its closure alone adds over all towns still reachable, and segment id ->
    towns (indices) it alone cuts off (see module docstring): a town is cut off by a segment exactly
    when the re-solved subtree below the segment no longer reaches it."""
    fast = fastest_from(arrays, sources)
    base = fast.dist
    town_nodes = np.asarray(town_nodes, dtype=np.int64)
    n = arrays.n
    # the shortest-path tree in preorder: a node's subtree is a contiguous run of the order
    child = np.flatnonzero(fast.pred >= 0)
    srcs = np.unique(np.asarray(sources, dtype=np.int64))
    parent = np.full(n + 1, -1, dtype=np.int64)
    parent[child] = fast.pred[child]
    parent[srcs] = n
    T = csr_array(
        (np.ones(len(child) + len(srcs), dtype=np.int8), (parent[np.r_[child, srcs]], np.r_[child, srcs])),
        shape=(n + 1, n + 1),
    )
    order = depth_first_order(T, n, directed=True, return_predecessors=False)
    tin = np.full(n + 1, -1, dtype=np.int64)
    tin[order] = np.arange(len(order))
    size = np.ones(n + 1, dtype=np.int64)
    for v in order[:0:-1].tolist():  # children before parents
        size[parent[v]] += size[v]
    op = np.flatnonzero(arrays.open)
    on_routes = {int(segments.of_edge[e]) for t in town_nodes.tolist() for e in fast.edges(t)}
    # parallel open edges (same tail and head): once for the graph, the lowest weight of each pair is
    # its only edge a re-solve needs, unless the closed segment holds one of that pair's edges
    code = arrays.src[op].astype(np.int64) * n + arrays.dst[op]
    by_pair = np.lexsort((arrays.hours[op], code))
    first_of_pair = np.ones(len(op), dtype=bool)
    first_of_pair[1:] = code[by_pair][1:] != code[by_pair][:-1]
    lowest = np.zeros(len(arrays.keys), dtype=bool)
    lowest[op[by_pair[first_of_pair]]] = True
    parallel = np.zeros(len(arrays.keys), dtype=bool)
    counts_of_pair = np.diff(np.r_[np.flatnonzero(first_of_pair), len(op)])
    parallel[op[by_pair]] = np.repeat(counts_of_pair > 1, counts_of_pair)
    hours = arrays.hours  # a property computed from the arrays: once, not per segment
    # nodes numbered by their place in the preorder: a subtree is a range of numbers, so its nodes'
    # out-edges (and in-edges) are one contiguous run of a table sorted by that number, read as a
    # slice; a subtree's re-solve costs its own size, with no pass over the network
    at = tin[:n]  # -1: not reached (not in the tree)
    low = op[lowest[op]]
    by_tail = low[at[arrays.src[low]] >= 0]
    by_tail = by_tail[np.argsort(at[arrays.src[by_tail]], kind="stable")]
    out_tail, out_head, out_w = at[arrays.src[by_tail]], at[arrays.dst[by_tail]], hours[by_tail]
    out_start = np.searchsorted(out_tail, np.arange(len(order) + 1))
    by_head = low[at[arrays.dst[low]] >= 0]
    by_head = by_head[np.argsort(at[arrays.dst[by_head]], kind="stable")]
    in_head, in_tail = at[arrays.dst[by_head]], at[arrays.src[by_head]]
    in_via = base[arrays.src[by_head]] + hours[by_head]  # entering at the distance the tail has
    in_start = np.searchsorted(in_head, np.arange(len(order) + 1))
    out_slot = np.full(len(arrays.keys), -1, dtype=np.int64)
    out_slot[by_tail] = np.arange(len(by_tail))
    in_slot = np.full(len(arrays.keys), -1, dtype=np.int64)
    in_slot[by_head] = np.arange(len(by_head))
    town_at = at[town_nodes]
    # the general re-solve (a segment closing one of parallel roads): by node, with scratch arrays
    by_dst = op[np.argsort(arrays.dst[op], kind="stable")]
    node_in_start = np.searchsorted(arrays.dst[by_dst], np.arange(n + 1))
    in_s = np.zeros(n, dtype=bool)
    local = np.full(n, -1, dtype=np.int64)
    closed_now = np.zeros(len(arrays.keys), dtype=bool)
    finite_base = np.isfinite(base)
    added: dict[int, float] = {}
    isolated: dict[int, list[int]] = {}
    for s in on_routes:
        tree = [
            int(arrays.dst[i])
            for i in segments.edges[s]
            if fast.pred[arrays.dst[i]] == arrays.src[i]
            and fast.edge_of.get((int(arrays.src[i]), int(arrays.dst[i]))) == i
        ]
        if not tree:
            added[s] = 0.0
            continue
        c = tree[0]  # both directions of one road cannot both be tree edges
        lo, hi = int(tin[c]), int(tin[c] + size[c])
        root = hi - lo
        own = list(segments.edges[s])
        if not parallel[own].any():
            # the subtree's own roads: out-edges of its nodes that end inside it, the segment's left out
            a, b = out_start[lo], out_start[hi]
            head = out_head[a:b]
            keep = (head >= lo) & (head < hi)
            for q in out_slot[own].tolist():
                if a <= q < b:
                    keep[q - a] = False
            counted = np.zeros(b - a + 1, dtype=np.int64)  # kept edges before each place of the run
            np.cumsum(keep, out=counted[1:])
            # entries: in-edges of its nodes from reached nodes outside it, the lowest per node
            a2, b2 = in_start[lo], in_start[hi]
            tail = in_tail[a2:b2]
            enter = ((tail >= 0) & (tail < lo)) | (tail >= hi)  # a tail not reached (-1) enters nowhere
            for q in in_slot[own].tolist():
                if a2 <= q < b2:
                    enter[q - a2] = False
            heads = in_head[a2:b2][enter] - lo
            firsts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]]) if len(heads) else heads
            entries = heads[firsts]
            indptr = np.empty(root + 2, dtype=np.int64)
            indptr[: root + 1] = counted[out_start[lo : hi + 1] - a]
            indptr[root + 1] = indptr[root] + len(entries)
            via = np.minimum.reduceat(in_via[a2:b2][enter], firsts) if len(heads) else in_via[:0]
            M = csr_array(
                (np.concatenate([out_w[a:b][keep], via]), np.concatenate([head[keep] - lo, entries]), indptr),
                shape=(root + 1, root + 1),
            )
            dist = dijkstra(M, directed=True, indices=root)
            hit = (town_at >= lo) & (town_at < hi)
            new = dist[town_at[hit] - lo]
        else:
            below = order[lo:hi]
            in_s[below] = True
            local[below] = np.arange(len(below))
            # the subtree's in-edges, the closed segment's own left out; every parallel road kept
            counts = node_in_start[below + 1] - node_in_start[below]
            total = int(counts.sum())
            edges = by_dst[np.repeat(node_in_start[below] - np.cumsum(counts) + counts, counts) + np.arange(total)]
            closed_now[own] = True
            edges = edges[~closed_now[edges]]
            closed_now[own] = False
            e_src, e_dst, e_w = arrays.src[edges], arrays.dst[edges], hours[edges]
            inside = in_s[e_src]
            # entering the subtree from outside, at the distance the entry node already has
            enter = ~inside & finite_base[e_src]
            start = np.full(len(below), np.inf)
            np.minimum.at(start, local[e_dst[enter]], base[e_src[enter]] + e_w[enter])
            entries = np.flatnonzero(np.isfinite(start))
            u, v, w = local[e_src[inside]], local[e_dst[inside]], e_w[inside]
            first = np.lexsort((w, v, u))
            u, v, w = u[first], v[first], w[first]
            one = np.ones(len(u), dtype=bool)
            one[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])  # the lowest weight per node pair
            M = csr_array(
                (
                    np.concatenate([w[one], start[entries]]),
                    (np.concatenate([u[one], np.full(len(entries), root)]), np.concatenate([v[one], entries])),
                ),
                shape=(root + 1, root + 1),
            )
            dist = dijkstra(M, directed=True, indices=root)
            hit = in_s[town_nodes] & finite_base[town_nodes]
            new = dist[local[town_nodes[hit]]]
            in_s[below] = False
            local[below] = -1
        finite = np.isfinite(new)
        added[s] = float((new[finite] - base[town_nodes[hit]][finite]).sum())
        if not finite.all():
            isolated[s] = np.flatnonzero(hit)[~finite].tolist()
    return added, isolated


def worst_sets(
    arrays,
    segments,
    sources,
    town_nodes,
    population,
    *,
    k: int,
    exact_limit: int,
    top: int = 10,
    more_sources: Sequence[Sequence[int]] = (),
):
    """The ``top`` sets of ``k`` segments that cut off the most population (exact or greedy). With
    ``more_sources`` (the import points of other commodities), a town is cut off when the set cuts it
    from any of the source sets it was reached from."""
    candidates = segments.open(arrays)
    groups = [sources, *more_sources]
    alive = [[j for j, t in enumerate(town_nodes) if reach[t]] for reach in (reached_from(arrays, g) for g in groups)]

    def cut_off(ids) -> tuple[int, list[int]]:
        closed = close_segments(arrays, segments, ids)
        towns: set[int] = set()
        for group, was in zip(groups, alive, strict=True):
            reach = reached_from(closed, group)
            towns.update(j for j in was if not reach[town_nodes[j]])
        return int(sum(population[j] or 0 for j in towns)), sorted(towns)

    if math.comb(len(candidates), k) <= exact_limit:
        scored = [(ids, *cut_off(ids)) for ids in itertools.combinations(candidates, k)]
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:top], f"exact: all {math.comb(len(candidates), k):,} combinations of {k} segments"
    chosen: list[int] = []
    for _ in range(k):
        best = max((c for c in candidates if c not in chosen), key=lambda c: (cut_off([*chosen, c])[0], -c))
        chosen.append(best)
    return [(tuple(chosen), *cut_off(chosen))], f"greedy: {k} rounds, each adding the segment that cuts off most"


# ---- on a scenario ---------------------------------------------------------------------------------


def _merged(
    results: Sequence[CriticalityResult], commodities: Sequence[Sequence[str]], population: Sequence[int]
) -> CriticalityResult:
    """One table from the criticality of each set of import points (the same network and segments, the
    ``commodities`` entering by each): a segment cuts a town off when it cuts it from any commodity's
    imports (the town's row names them when not all); supply lost and added hours add up."""
    merged: dict[int, SegmentCriticality] = {}
    cut_from: dict[int, dict[int, list[str]]] = {}
    for r, names in zip(results, commodities, strict=True):
        for c in r.table:
            for j in c.towns_isolated:
                cut_from.setdefault(c.segment, {}).setdefault(j, []).extend(names)
            m = merged.get(c.segment)
            if m is None:
                merged[c.segment] = replace(c, towns_isolated=list(c.towns_isolated))
                continue
            m.towns_isolated = sorted(set(m.towns_isolated) | set(c.towns_isolated))
            m.demand_lost = round(m.demand_lost + c.demand_lost, 3)
            m.added_hours = round(m.added_hours + c.added_hours, 4)
    every = sum(len(names) for names in commodities)
    for m in merged.values():
        m.population_cut_off = int(sum(population[j] or 0 for j in m.towns_isolated))
        m.only = {j: tuple(names) for j, names in cut_from.get(m.segment, {}).items() if len(names) < every}
    first = results[0]
    return CriticalityResult(
        first.segments, [merged[c.segment] for c in first.table], sum(r.total_demand for r in results), [], ""
    )


@dataclass
class CriticalityReport:
    """Criticality of a scenario's network, with names for planners."""

    scenario: object
    result: CriticalityResult
    towns: list[str]
    segment_keys: list[tuple[int, int, int]]  # one edge key per segment
    labels: list[str]
    #: the top-ranked segments measured on the supply model run uses (segment -> damage to all towns:
    #: short person-days over the search window, or people unserved that day), and that in words
    supply_damage: dict[int, float] = field(default_factory=dict)
    supply_measure: str = ""
    supply_baseline: float = 0.0  # the same measure with no segment closed
    #: the supply measure's solved days and lanes: the outputs' run of the scenario reuses them
    memo: object = field(default=None, repr=False, compare=False)

    def rows(self) -> list[dict]:
        """The ranked table: one row per open segment."""
        G = self.scenario.G
        rows = []
        for rank, c in enumerate(self.result.ranked(), start=1):
            key = self.segment_keys[c.segment]
            d = G.edges[key]
            rows.append(
                {
                    "rank": rank,
                    "segment": self.labels[c.segment],
                    "ref": ";".join(d.get("ref", [])),
                    "length_km": round(float(d["length"]) / 1000, 1),
                    "towns_isolated": "; ".join(
                        self.towns[j] + (f" ({', '.join(c.only[j])})" if j in c.only else "") for j in c.towns_isolated
                    ),
                    "population_cut_off": c.population_cut_off,
                    "demand_lost_trucks_per_day": float(c.demand_lost),
                    "served_fraction_lost": round(float(c.demand_lost) / self.result.total_demand, 4)
                    if self.result.total_demand
                    else 0.0,
                    "added_hours": float(c.added_hours),
                    # on the supply model (threats, refusal, stocks): what closing it adds, top segments only
                    "supply_damage_added": round(self.supply_damage[c.segment] - self.supply_baseline, 1)
                    if c.segment in self.supply_damage
                    else None,
                }
            )
        return rows

    def isolating(self, town: str) -> list[str]:
        """Labels of the segments whose closure alone isolates ``town``."""
        j = self.towns.index(town)
        return [self.labels[c.segment] for c in self.result.table if j in c.towns_isolated]


def scenario_criticality(
    scenario, *, k: int = 1, exact_limit: int = 20_000, gazetteer=None, supply_top: int | str = 10
) -> CriticalityReport:
    """Criticality of every segment of the scenario's network, its events (on its date) applied first.
    The ``supply_top`` segments ranked first (``"lanes"``: those the towns' supply lanes took on the
    evaluation day; ``"all"``: every open segment) are also measured on the supply model ``run`` uses
    (threats and truckers' refusal, escorts, stocks): what closing each adds to all towns' damage, as
    ``siege interdict`` measures a plan (short person-days over the 14 days up to the evaluation day on a
    scenario with a period, else people unserved that day)."""
    from siege.analyses.isolation import edge_label, imports_by_gateways, node_labels
    from siege.places import gazetteer_for
    from siege.scenario import degrade
    from siege.supply import town_demand

    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    towns = scenario.on_network
    population = [t.population or 0 for t in towns]
    # the supply model's daily demand (trucks and tankers/day), the commodities that enter by the same
    # import points together: a food-only border post (Adel Bagrou, by Nara) is no way in for fuel
    demand = town_demand(scenario)
    column = {c.name: i for i, c in enumerate(scenario.commodities)}
    groups = imports_by_gateways(scenario, base.index)
    results = [
        criticality(
            arrays,
            [(x.node, x.capacity) for x in supplies],
            [
                (base.index[t.node], float(d))
                for t, d in zip(towns, demand[:, [column[c] for c in names]].sum(axis=1), strict=True)
            ],
            population,
            k=k if len(groups) == 1 else 1,
            exact_limit=exact_limit,
        )
        for supplies, names in groups.items()
    ]
    result = results[0] if len(results) == 1 else _merged(results, list(groups.values()), population)
    if len(results) > 1 and k >= 2:
        sources = [sorted({x.node for x in supplies}) for supplies in groups]
        result.worst_sets, result.worst_sets_method = worst_sets(
            arrays,
            result.segments,
            sources[0],
            [base.index[t.node] for t in towns],
            population,
            k=k,
            exact_limit=exact_limit,
            more_sources=sources[1:],
        )
    labels_by_node = node_labels(scenario.G, gazetteer or gazetteer_for(scenario.G), scenario)
    keys = [base.keys[e[0]] for e in result.segments.edges]
    report = CriticalityReport(
        scenario, result, [t.name for t in towns], keys, [edge_label(scenario.G, k_, labels_by_node) for k_ in keys]
    )
    if supply_top and towns:
        from siege.analyses.interdiction import SupplyDamage

        measure = SupplyDamage(scenario, arrays, result.segments, [t.name for t in towns])
        report.memo = measure.memo
        none_closed = measure.search(frozenset())
        report.supply_baseline = none_closed.score
        ranked = [c.segment for c in result.ranked()]
        if supply_top == "all":
            chosen, which = ranked, "every open segment"
        elif supply_top == "lanes":
            # a road no lane took that day carries none of that day's deliveries
            chosen = [s for s in ranked if s in none_closed.lanes]
            which = "the segments the towns' supply lanes took on the evaluation day, upstream depots' included"
        else:
            chosen, which = ranked[: int(supply_top)], "ranked first"
        for segment in chosen:
            report.supply_damage[segment] = measure.search(frozenset({segment})).score
        period = scenario.start is not None and scenario.end is not None
        report.supply_measure = (
            f"short person-days of all towns over the {settings.INTERDICTION_SEARCH_DAYS} days up to the evaluation day"
            if period
            else "people of all towns left unserved on the evaluation day"
        ) + f", added by closing the segment ({len(report.supply_damage)} segments: {which})"
    return report
