"""The csgraph solver against networkx, against brute force, and its monotonicity properties."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siege.analyses.isolation import run
from siege.scenario import degrade, load_scenario
from siege.solver import reference as ref
from siege.solver.arrays import RoadArrays
from siege.solver.flow import chokepoints, fair_throughput
from siege.solver.isolation import SupplyInput, TownInput, solve
from siege.solver.routes import fastest_from, most_reliable_from, survival_along

from .conftest import REPO


def road_graph(n: int, extra: int, seed: int) -> nx.MultiDiGraph:
    """A random connected two-way road graph with lengths, speeds and capacities."""
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph()
    pos = {i: (rng.uniform(-8, -6), rng.uniform(12, 14)) for i in range(n)}
    for i, (x, y) in pos.items():
        G.add_node(i, x=x, y=y)
    pairs = {(int(rng.integers(0, i)), i) for i in range(1, n)}  # a random tree ...
    while len(pairs) < n - 1 + extra:  # ... plus cycles
        a, b = sorted(int(v) for v in rng.choice(n, 2, replace=False))
        pairs.add((a, b))
    for a, b in sorted(pairs):
        length = float(rng.uniform(5_000, 80_000))
        speed = float(rng.choice([30, 45, 60]))
        cap = float(rng.choice([100, 300, 800, 2000]))
        for u, v in ((a, b), (b, a)):
            G.add_edge(u, v, length=length, travel_time=length / (speed / 3.6), capacity=cap)
    return G


def random_degradation(arrays: RoadArrays, seed: int) -> RoadArrays:
    rng = np.random.default_rng(seed)
    m = len(arrays.keys)
    from dataclasses import replace

    return replace(
        arrays,
        closed=rng.random(m) < 0.1,
        capacity_factor=np.where(rng.random(m) < 0.3, rng.uniform(0.1, 1.0, m), 1.0),
        delay_factor=np.where(rng.random(m) < 0.3, rng.uniform(1.0, 3.0, m), 1.0),
        risk=np.where(rng.random(m) < 0.3, rng.uniform(0.0, 0.8, m), 0.0),
    )


def compare_with_networkx(arrays: RoadArrays, supplies, towns):
    H = ref.graph_from_arrays(arrays)
    sources = sorted({s for s, _ in supplies})
    fast, safe = fastest_from(arrays, sources), most_reliable_from(arrays, sources)
    flow = fair_throughput(arrays, supplies, towns)
    expected_delivery = ref.fair_delivery(H, supplies, towns)
    targets = [t for t, _ in towns]
    for routes in (fast, safe):  # every town's route walked at once is each town's route
        assert [e.tolist() for e in routes.edges_to(targets)] == [routes.edges(t) for t in targets]
    for j, (t, demand) in enumerate(towns):
        hours = ref.fastest_hours(H, sources, t)
        assert fast.dist[t] == pytest.approx(hours, rel=1e-9) if math.isfinite(hours) else math.isinf(fast.dist[t])
        survival = survival_along(arrays, safe.edges(t)) if math.isfinite(safe.dist[t]) else 0.0
        assert survival == pytest.approx(ref.best_survival(H, sources, t), rel=1e-6, abs=1e-9)
        assert flow.delivered[j] == pytest.approx(expected_delivery[j], abs=0.002 * demand + 0.01)
        cut = chokepoints(arrays, sources, t)
        assert cut.capacity == pytest.approx(ref.min_cut_capacity(H, sources, t), abs=0.01 * (len(cut.edges) + 1))


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_equal_networkx(seed):
    G = road_graph(25, 15, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed + 100)
    supplies = [(0, 500.0), (7, 300.0)]
    towns = [(i, float(d)) for i, d in zip((3, 11, 16, 20, 24), (200, 50, 120, 400, 80), strict=True)]
    compare_with_networkx(arrays, supplies, towns)


def test_bundled_network_blockade_equals_networkx():
    scenario = load_scenario(REPO / "scenarios" / "bamako-fuel-blockade-2025.toml")
    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    towns = [(base.index[t.node], t.demand) for t in scenario.on_network]
    compare_with_networkx(arrays, supplies, towns)


def all_routes(G: nx.MultiDiGraph, sources, target):
    """Every simple route (as edge-key lists) from any source to target."""
    for s in sources:
        if s == target:
            yield []
            continue
        yield from nx.all_simple_edge_paths(G, s, target)


@pytest.mark.parametrize("seed", range(8))
def test_brute_force_small_graphs(seed):
    G = road_graph(7, 3, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed + 7)
    position = {k: i for i, k in enumerate(arrays.keys)}
    open_graph = nx.MultiDiGraph()
    open_graph.add_nodes_from(G.nodes)
    open_graph.add_edges_from(k for k in arrays.keys if not arrays.closed[position[k]])
    sources = [0]
    fast, safe = fastest_from(arrays, sources), most_reliable_from(arrays, sources)
    for t in range(1, 7):
        routes = [[position[k] for k in r] for r in all_routes(open_graph, sources, t)]
        if not routes:
            assert math.isinf(fast.dist[t])
            assert chokepoints(arrays, sources, t).capacity == 0
            continue
        assert fast.dist[t] == pytest.approx(min(arrays.hours[r].sum() for r in routes))
        best = max(float(np.prod(1 - arrays.risk[r])) for r in routes)
        assert survival_along(arrays, safe.edges(t)) == pytest.approx(best)
        # the cheapest set of open edges whose removal cuts every route has the cut's capacity
        cap = arrays.effective_capacity
        usable = sorted({e for r in routes for e in r})
        best_cut = min(
            sum(cap[list(c)])
            for k in range(1, len(usable) + 1)
            for c in itertools.combinations(usable, k)
            if all(set(r) & set(c) for r in routes)
        )
        cut = chokepoints(arrays, sources, t)
        assert cut.capacity == pytest.approx(best_cut, abs=0.01)


def close(arrays: RoadArrays, edge: int) -> RoadArrays:
    from dataclasses import replace

    closed = arrays.closed.copy()
    closed[edge] = True
    return replace(arrays, closed=closed)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), edge=st.integers(0, 10_000))
def test_closing_an_edge_never_helps(seed, edge):
    G = road_graph(12, 6, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed)
    e = edge % len(arrays.keys)
    supplies = [SupplyInput("A", 0, 400.0), SupplyInput("B", 5, 200.0)]
    towns = [TownInput(f"t{i}", i, d) for i, d in ((3, 150.0), (8, 90.0), (11, 300.0))]
    before, _ = solve(arrays, supplies, towns)
    after, _ = solve(close(arrays, e), supplies, towns)
    assert sum(s.delivered for s in after) <= sum(s.delivered for s in before) + 0.01
    for b, a in zip(before, after, strict=True):
        assert a.survival <= b.survival + 1e-9
        assert a.hours >= b.hours - 1e-9
        assert a.cut_capacity <= b.cut_capacity + 0.01


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_closing_every_chokepoint_isolates_the_town(seed):
    G = road_graph(12, 8, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed)
    supplies = [SupplyInput("A", 0, 400.0), SupplyInput("B", 5, 200.0)]
    towns = [TownInput("t", 9, 100.0)]
    (state,), _ = solve(arrays, supplies, towns)
    if not state.reachable:
        return
    from dataclasses import replace

    closed = arrays.closed.copy()
    closed[state.cut_edges] = True
    (isolated,), _ = solve(replace(arrays, closed=closed), supplies, towns)
    assert not isolated.reachable and isolated.delivered == 0


def test_fair_sharing_of_a_shared_road():
    # supply -> hub (capacity 100) -> two towns: the shared road is counted once and shared fairly
    G = nx.MultiDiGraph()
    for i in range(4):
        G.add_node(i, x=0.0, y=float(i))
    for u, v, cap in ((0, 1, 100.0), (1, 2, 1000.0), (1, 3, 1000.0)):
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=1000.0, travel_time=60.0, capacity=cap)
    arrays = RoadArrays.from_graph(G)
    flow = fair_throughput(arrays, [(0, 1000.0)], [(2, 80.0), (3, 120.0)])
    # 100 trucks/day for 200 demanded: both towns get the same half of their demand
    assert flow.delivered == pytest.approx([40.0, 60.0], abs=0.01)
    assert flow.delivered.sum() == pytest.approx(100.0, abs=0.01)


def test_run_uses_the_solver_on_the_bundled_network():
    result = run(REPO / "scenarios" / "baseline.toml")
    assert all(t.status == "open" for t in result.towns)


def _lanes_graph(pairs):
    """A two-way road graph from (a, b, km) legs, nodes along a line (positions do not matter here)."""
    G = nx.MultiDiGraph()
    for a, b, km in pairs:
        for n in (a, b):
            G.add_node(ord(n), x=-8.0 + 0.01 * len(G), y=13.0)  # node ids are integers, as OSM's
        for u, v in ((a, b), (b, a)):
            G.add_edge(ord(u), ord(v), length=km * 1000.0, travel_time=km * 60.0, capacity=500.0)
    return G


def _lane(arrays, *nodes):
    """Edge positions along ``nodes`` (the graph has one edge each way between two nodes)."""
    return [arrays.keys.index((ord(u), ord(v), 0)) for u, v in itertools.pairwise(nodes)]


@pytest.mark.parametrize(
    ("lanes", "expected"),
    [
        # one lane O - A - B - T: every segment of it cuts the town; nearest first, km from the town
        ([("O", "A", "B", "T")], [(("B", "T"), 0.0), (("A", "B"), 30.0), (("O", "A"), 60.0)]),
        # two lanes merging at B: only the road B - T into the town is shared by both
        ([("O", "A", "B", "T"), ("P", "C", "B", "T")], [(("B", "T"), 0.0)]),
        # two lanes apart to the town's gate: the fewest segments cutting both, the pair at the town
        ([("O", "A", "T"), ("P", "C", "T")], [(("A", "T"), 0.0), (("C", "T"), 0.0)]),
    ],
)
def test_a_towns_chokepoints_lie_on_its_own_lanes_nearest_first(lanes, expected):
    """Hand-checked: the segments that decide a town's supply are those of its own lanes that every
    lane needs, listed from the town outwards with their distance; never a segment off its lanes."""
    from siege.solver.flow import chain_chokepoints

    legs = [("O", "A", 20), ("A", "B", 30), ("B", "T", 30), ("P", "C", 40), ("C", "B", 25), ("A", "T", 60),
            ("C", "T", 70), ("O", "X", 5), ("X", "T", 200)]  # fmt: skip
    G = _lanes_graph(legs)
    arrays = RoadArrays.from_graph(G)
    edge_lanes = [_lane(arrays, *lane) for lane in lanes]
    # the supply model's lanes are the only roads open for the cut (O - X - T is another road, off them)
    off = np.ones(len(arrays.closed), dtype=bool)
    off[[e for lane in edge_lanes for e in lane]] = False
    from dataclasses import replace

    on_lanes = replace(arrays, closed=arrays.closed | off)
    origins = sorted({arrays.index[ord(lane[0])] for lane in lanes})
    town = arrays.index[ord("T")]
    edges, km = chain_chokepoints(on_lanes, edge_lanes, origins, town, limit=6)
    got = [((chr(arrays.keys[e][0]), chr(arrays.keys[e][1])), d) for e, d in zip(edges, km, strict=True)]
    assert sorted(got) == sorted(expected)
    assert km == sorted(km)
    assert chain_chokepoints(on_lanes, edge_lanes, origins, town, limit=1)[0] == edges[:1]
