"""Criticality: what closing each road segment alone costs, on the scenario's (already degraded) network.

For every open segment (both directions of a road): the towns it would isolate, their population,
the supply lost (trucks/day and share of all demand), and the travel hours it would add over all
supply routes. Fast by structure, equal to closing each segment and re-solving (tested):

- **isolation** — closing one segment cuts a town off only if *every* supply route to it uses that
  segment: the segment dominates the town in the dominator tree of the network rooted at the supply
  points (each segment a node between its two ends, so both directions count as one road);
- **supply lost** — only a segment that carries flow in the current maximum flow can lower it (any
  other leaves that flow feasible), so only those are re-solved, one maximum flow each;
- **added hours** — only a segment on some town's current fastest route can make any route slower,
  so only those are re-solved, one multi-source Dijkstra each.

Multi-segment failures (``k`` ≥ 2): the worst sets by population cut off, exactly (every combination)
while the number of combinations is at most ``exact_limit``, greedily beyond (add the segment that
cuts off the most additional population, k times).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from siege.solver.arrays import RoadArrays
from siege.solver.flow import SCALE, FlowNetwork, fair_throughput
from siege.solver.routes import fastest_from


@dataclass(frozen=True)
class Segments:
    """Road segments (both directions of a road) of a network's arrays."""

    of_edge: np.ndarray  # edge position -> segment id
    edges: tuple[tuple[int, ...], ...]  # segment id -> edge positions

    @classmethod
    def of(cls, arrays: RoadArrays) -> Segments:
        ids: dict[tuple[int, int, int], int] = {}
        of_edge = np.empty(len(arrays.keys), dtype=np.int64)
        members: list[list[int]] = []
        for i, (_, _, k) in enumerate(arrays.keys):
            a, b = int(arrays.src[i]), int(arrays.dst[i])
            key = (min(a, b), max(a, b), k)
            if key not in ids:
                ids[key] = len(members)
                members.append([])
            of_edge[i] = ids[key]
            members[ids[key]].append(i)
        return cls(of_edge, tuple(tuple(m) for m in members))

    def __len__(self) -> int:
        return len(self.edges)

    def open(self, arrays: RoadArrays) -> list[int]:
        """Segments with at least one open direction."""
        return [s for s, e in enumerate(self.edges) if any(arrays.open[i] for i in e)]


def close_segments(arrays: RoadArrays, segments: Segments, ids: Sequence[int]) -> RoadArrays:
    """A copy of ``arrays`` with every direction of the given segments closed."""
    closed = arrays.closed.copy()
    for s in ids:
        closed[list(segments.edges[s])] = True
    return replace(arrays, closed=closed)


@dataclass
class SegmentCriticality:
    """What closing one segment alone costs."""

    segment: int
    towns_isolated: list[int]  # indices into the towns list
    population_cut_off: int
    demand_lost: float  # trucks/day
    added_hours: float  # over all towns still reachable


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


def _reachable(arrays: RoadArrays, sources: Sequence[int]) -> np.ndarray:
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
    net = FlowNetwork(arrays, arrays.effective_capacity, supplies, towns)
    caps = np.floor(np.array([d for _, d in towns]) * SCALE).astype(np.int64)
    return maximum_flow(net.matrix(caps), net.source, net.sink, method="dinic").flow_value / SCALE


def isolation_by_dominators(arrays: RoadArrays, segments: Segments, sources, town_nodes) -> dict[int, list[int]]:
    """Segment id -> towns (indices) that closing it alone would cut off from every source."""
    H = nx.DiGraph()
    H.add_edges_from(("S", s) for s in sources)
    for i in np.flatnonzero(arrays.open):
        mid = ("seg", int(segments.of_edge[i]))
        H.add_edge(int(arrays.src[i]), mid)
        H.add_edge(mid, int(arrays.dst[i]))
    idom = nx.immediate_dominators(H, "S")
    cut: dict[int, list[int]] = {}
    for j, t in enumerate(town_nodes):
        x = int(t)
        if x not in idom:
            continue  # already unreachable
        while x != "S":
            if isinstance(x, tuple):
                cut.setdefault(x[1], []).append(j)
            x = idom[x]
    return cut


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
    iso = isolation_by_dominators(arrays, segments, sources, town_nodes)

    flow = fair_throughput(arrays, supplies, towns)
    before = float(flow.delivered.sum())
    carrying = {int(segments.of_edge[i]) for i in np.flatnonzero(flow.edge_flow > 1e-9)}
    lost = {
        s: max(0.0, before - max_delivery(close_segments(arrays, segments, [s]), supplies, towns)) for s in carrying
    }

    fast = fastest_from(arrays, sources)
    base_hours = fast.dist[town_nodes]
    on_routes = {int(segments.of_edge[e]) for t in town_nodes for e in fast.edges(t)}
    added: dict[int, float] = {}
    for s in on_routes:
        hours = fastest_from(close_segments(arrays, segments, [s]), sources).dist[town_nodes]
        ok = np.isfinite(hours) & np.isfinite(base_hours)
        added[s] = float((hours[ok] - base_hours[ok]).sum())

    table = []
    for s in segments.open(arrays):
        isolated = sorted(iso.get(s, []))
        table.append(
            SegmentCriticality(
                segment=s,
                towns_isolated=isolated,
                population_cut_off=int(sum(population[j] or 0 for j in isolated)),
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


def worst_sets(arrays, segments, sources, town_nodes, population, *, k: int, exact_limit: int, top: int = 10):
    """The ``top`` sets of ``k`` segments that cut off the most population (exact or greedy)."""
    candidates = segments.open(arrays)
    reach0 = _reachable(arrays, sources)
    alive = [j for j, t in enumerate(town_nodes) if reach0[t]]

    def cut_off(ids) -> tuple[int, list[int]]:
        reach = _reachable(close_segments(arrays, segments, ids), sources)
        towns = [j for j in alive if not reach[town_nodes[j]]]
        return int(sum(population[j] or 0 for j in towns)), towns

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


@dataclass
class CriticalityReport:
    """Criticality of a scenario's network, with names for planners."""

    scenario: object
    result: CriticalityResult
    towns: list[str]
    segment_keys: list[tuple[int, int, int]]  # one edge key per segment
    labels: list[str]

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
                    "towns_isolated": "; ".join(self.towns[j] for j in c.towns_isolated),
                    "population_cut_off": c.population_cut_off,
                    "demand_lost_trucks_per_day": float(c.demand_lost),
                    "served_fraction_lost": round(float(c.demand_lost) / self.result.total_demand, 4)
                    if self.result.total_demand
                    else 0.0,
                    "added_hours": float(c.added_hours),
                }
            )
        return rows

    def isolating(self, town: str) -> list[str]:
        """Labels of the segments whose closure alone isolates ``town``."""
        j = self.towns.index(town)
        return [self.labels[c.segment] for c in self.result.table if j in c.towns_isolated]


def scenario_criticality(scenario, *, k: int = 1, exact_limit: int = 20_000, gazetteer=None) -> CriticalityReport:
    """Criticality of every segment of the scenario's network, its events (on its date) applied first."""
    from siege.analyses.isolation import edge_label, node_labels
    from siege.analyses.timeline import town_demand
    from siege.places import gazetteer_for
    from siege.scenario import degrade

    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    towns = scenario.on_network
    # the supply model's daily demand, all commodities together (trucks and tankers/day)
    demand = town_demand(scenario).sum(axis=1)
    result = criticality(
        arrays,
        supplies,
        [(base.index[t.node], float(d)) for t, d in zip(towns, demand, strict=True)],
        [t.population or 0 for t in towns],
        k=k,
        exact_limit=exact_limit,
    )
    labels_by_node = node_labels(scenario.G, gazetteer or gazetteer_for(scenario.G))
    keys = [base.keys[e[0]] for e in result.segments.edges]
    return CriticalityReport(
        scenario, result, [t.name for t in towns], keys, [edge_label(scenario.G, k_, labels_by_node) for k_ in keys]
    )
