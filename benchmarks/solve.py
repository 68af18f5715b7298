"""Solver speed: siege's scipy.sparse.csgraph solver against a plain networkx implementation.

    python benchmarks/solve.py [--side 175] [--towns 50] [--supplies 6]

Both solve the same per-town computations — fastest route from the supply points, most reliable route
(survival), max-min fair joint throughput, and each town's minimum cut (chokepoints) — in the same
run, on (1) the bundled Mali network under the fuel-blockade scenario and (2) a generated road-like
graph (a perturbed grid with gaps, mixed road classes and random degradation) of at least 100,000
directed edges. It prints the times, the ratio (networkx / siege), and whether the results agree.

Two networkx sides answer the same question: ``naive`` (siege's test oracle, one Dijkstra per town and
a flow graph rebuilt for every maximum flow) and ``competent`` (what a careful networkx user writes:
one multi-source Dijkstra for all towns, one flow graph whose sink capacities are changed in place,
and networkx's fastest maximum flow on road graphs, Boykov–Kolmogorov, for the fair shares and the
cuts). The ratio that matters is against the competent one. The last line is one JSON object of the
figures.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np

from siege.solver import reference as ref
from siege.solver.arrays import RoadArrays
from siege.solver.isolation import SupplyInput, TownInput, solve


def road_like_graph(side: int, seed: int = 7) -> nx.MultiDiGraph:
    """A perturbed grid: about 2·side² two-way segments, 10 % missing, classes and speeds mixed."""
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph()
    for i in range(side):
        for j in range(side):
            G.add_node(
                i * side + j, x=-8 + j * 0.02 + rng.uniform(-0.005, 0.005), y=12 + i * 0.02 + rng.uniform(-0.005, 0.005)
            )
    classes = [(65, 2000.0), (55, 1500.0), (45, 800.0), (30, 300.0)]
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0)):
                if i + di >= side or j + dj >= side or rng.random() < 0.1:
                    continue
                a, b = i * side + j, (i + di) * side + j + dj
                major = (i % 10 == 0 and di == 0) or (j % 10 == 0 and dj == 0)
                speed, cap = classes[0 if major else int(rng.integers(1, 4))]
                length = float(rng.uniform(1800, 2600))
                for u, v in ((a, b), (b, a)):
                    G.add_edge(u, v, length=length, travel_time=length / (speed / 3.6), capacity=cap)
    return G


def degrade_randomly(arrays: RoadArrays, seed: int = 3) -> RoadArrays:
    rng = np.random.default_rng(seed)
    m = len(arrays.keys)
    hit = rng.random(m) < 0.05
    return replace(
        arrays,
        closed=rng.random(m) < 0.01,
        capacity_factor=np.where(hit, rng.uniform(0.05, 0.5, m), 1.0),
        delay_factor=np.where(hit, rng.uniform(1.0, 2.0, m), 1.0),
        risk=np.where(hit, rng.uniform(0.0, 0.6, m), 0.0),
    )


def networkx_solve(arrays: RoadArrays, supplies, towns):
    """The same per-town computations with networkx, one town at a time."""
    H = ref.graph_from_arrays(arrays)
    sources = [s.node for s in supplies]
    hours = [ref.fastest_hours(H, sources, t.node) for t in towns]
    survival = [ref.best_survival(H, sources, t.node) for t in towns]
    delivered = ref.fair_delivery(H, [(s.node, s.capacity) for s in supplies], [(t.node, t.demand) for t in towns])
    cuts = [ref.min_cut_capacity(H, sources, t.node) for t in towns]
    return hours, survival, delivered, cuts


def networkx_competent(arrays: RoadArrays, supplies, towns):
    """The same answers as :func:`networkx_solve`, written as a careful networkx user would."""
    H = ref.graph_from_arrays(arrays)
    sources = {s.node for s in supplies}
    fast = nx.multi_source_dijkstra_path_length(H, sources, weight="hours")
    safe = nx.multi_source_dijkstra_path_length(H, sources, weight="survival_weight")
    hours = [fast.get(t.node, math.inf) for t in towns]
    survival = [math.exp(-safe[t.node]) if t.node in safe else 0.0 for t in towns]
    delivered = _fair_delivery_one_graph(H, supplies, towns)
    D = ref._flow_graph(H, [], [], [])  # one graph for every town's minimum cut
    for node in sources:
        D.add_edge("S", node)  # unlimited
    reach = nx.descendants(D, "S") if "S" in D else set()
    bk = nx.algorithms.flow.boykov_kolmogorov
    cuts = [
        math.inf
        if t.node in sources
        else (nx.minimum_cut_value(D, "S", t.node, flow_func=bk) if t.node in reach else 0.0)
        for t in towns
    ]
    return hours, survival, delivered, cuts


def _fair_delivery_one_graph(H, supplies, towns) -> np.ndarray:
    """The reference progressive filling, on one flow graph whose town → sink capacities are set in
    place for each maximum flow instead of a graph built afresh."""
    pairs_s, pairs_t = [(s.node, s.capacity) for s in supplies], [(t.node, t.demand) for t in towns]
    D = ref._flow_graph(H, pairs_s, pairs_t, [0] * len(towns))

    def in_place(caps):
        for j, c in enumerate(caps):
            D[("town", j)]["T"]["capacity"] = float(c)
        return D

    return ref.fair_delivery(H, pairs_s, pairs_t, flow_graph=in_place, flow_func=nx.algorithms.flow.boykov_kolmogorov)


def compare(states, expected) -> bool:
    hours, survival, delivered, cuts = expected
    ok = True
    for s, h, sv, d, c in zip(states, hours, survival, delivered, cuts, strict=True):
        ok &= (math.isinf(h) and math.isinf(s.hours)) or math.isclose(s.hours, h, rel_tol=1e-9)
        ok &= math.isclose(s.survival, sv, rel_tol=1e-6, abs_tol=1e-9)
        ok &= abs(s.delivered - d) <= 0.002 * s.demand + 0.01
        ok &= (math.isinf(c) and math.isinf(s.cut_capacity)) or abs(s.cut_capacity - c) <= 0.01 * (len(s.cut_edges) + 1)
    return bool(ok)


def bench(label: str, arrays: RoadArrays, supplies, towns) -> dict[str, float]:
    t = time.perf_counter()
    states, _ = solve(arrays, supplies, towns)
    ours = time.perf_counter() - t
    figures = {"edges": len(arrays.keys), "siege_s": round(ours, 3)}
    for side, fn in (("naive", networkx_solve), ("competent", networkx_competent)):
        t = time.perf_counter()
        expected = fn(arrays, supplies, towns)
        theirs = time.perf_counter() - t
        same = compare(states, expected)
        print(
            f"{label:<44}{len(arrays.keys):>9,}{len(towns):>6}{ours:>10.2f}{side:>11}{theirs:>11.2f}"
            f"{theirs / ours:>8.1f}x  {'same results' if same else 'RESULTS DIFFER'}"
        )
        figures[f"networkx_{side}_s"] = round(theirs, 3)
        figures[f"{side}_same"] = same
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=175, help="grid side of the generated graph")
    parser.add_argument("--towns", type=int, default=50)
    parser.add_argument("--supplies", type=int, default=6)
    args = parser.parse_args()
    print(f"{'network':<44}{'edges':>9}{'towns':>6}{'siege s':>10}{'networkx':>11}{'seconds':>11}{'ratio':>9}")

    from siege.scenario import degrade, load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "bamako-fuel-blockade-2025.toml")
    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    supplies = [SupplyInput(s.name, base.index[s.node], s.capacity) for s in scenario.supply]
    towns = [TownInput(t.name, base.index[t.node], t.demand) for t in scenario.on_network]
    figures = {"bundled": bench("bundled Mali, fuel-blockade scenario", arrays, supplies, towns)}

    G = road_like_graph(args.side)
    arrays = degrade_randomly(RoadArrays.from_graph(G))
    rng = np.random.default_rng(11)
    nodes = rng.choice(arrays.n, args.towns + args.supplies, replace=False)
    supplies = [
        SupplyInput(f"s{i}", int(n), float(rng.uniform(300, 1500))) for i, n in enumerate(nodes[: args.supplies])
    ]
    towns = [TownInput(f"t{i}", int(n), float(rng.uniform(5, 400))) for i, n in enumerate(nodes[args.supplies :])]
    figures["generated"] = bench(f"generated road-like grid {args.side}x{args.side}", arrays, supplies, towns)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
