"""Single-segment criticality: siege's structural method against a plain networkx loop, in one run.

    python benchmarks/criticality.py [--side 175] [--sample 8]

The baseline removes each segment and recomputes everything with networkx — reachability and hours
from the supply points (multi-source Dijkstra) and the maximum deliverable flow — then puts the
segment back, as ra2ce's single-link redundancy analysis does. On the bundled network every segment
is done both ways. On the generated road-like graph (100,000+ directed edges, 50 towns, 6 supply
points) the loop over all ~55,000 segments would take days, so it is timed on a random sample of
segments and extrapolated to all of them (the printout says so); the sampled results are compared
with siege's.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import networkx as nx
import numpy as np
from solve import degrade_randomly, road_like_graph  # benchmarks/solve.py: scripts here run as python benchmarks/X.py

from siege.analyses.criticality import Segments, criticality
from siege.solver import reference as ref
from siege.solver.arrays import RoadArrays


def nx_segment(H: nx.MultiDiGraph, arrays: RoadArrays, segments: Segments, s: int, supplies, towns, base) -> tuple:
    """Remove one segment, recompute with networkx, restore it."""
    removed = []
    for i in segments.edges[s]:
        u, v = int(arrays.src[i]), int(arrays.dst[i])
        if H.has_edge(u, v, i):
            removed.append((u, v, i, dict(H.edges[u, v, i])))
            H.remove_edge(u, v, i)
    sources = [p for p, _ in supplies]
    dist = nx.multi_source_dijkstra_path_length(H, set(sources), weight="hours")
    nodes = [t for t, _ in towns]
    isolated = [j for j, t in enumerate(nodes) if t in base["dist"] and t not in dist]
    hours = sum(dist[t] - base["dist"][t] for t in nodes if t in dist and t in base["dist"])
    D = ref._flow_graph(H, supplies, towns, [d for _, d in towns])
    lost = max(0.0, base["flow"] - nx.maximum_flow_value(D, "S", "T"))
    for u, v, i, data in removed:
        H.add_edge(u, v, key=i, **data)
    return isolated, lost, hours


def bench(label, arrays, supplies, towns, sample: int | None) -> None:
    population = [10_000] * len(towns)
    t = time.perf_counter()
    result = criticality(arrays, supplies, towns, population)
    ours = time.perf_counter() - t
    segments = result.segments
    open_ids = segments.open(arrays)
    H = ref.graph_from_arrays(arrays)
    t = time.perf_counter()
    base = {
        "dist": nx.multi_source_dijkstra_path_length(H, {p for p, _ in supplies}, weight="hours"),
        "flow": nx.maximum_flow_value(ref._flow_graph(H, supplies, towns, [d for _, d in towns]), "S", "T"),
    }
    setup = time.perf_counter() - t
    chosen = open_ids
    if sample and sample < len(open_ids):
        rng = np.random.default_rng(5)
        interesting = [c.segment for c in result.ranked()[: sample // 2]]  # the sample holds critical ones too
        rest = rng.choice([s for s in open_ids if s not in interesting], sample - len(interesting), replace=False)
        chosen = [*interesting, *map(int, rest)]
    by_id = {c.segment: c for c in result.table}
    same = True
    t = time.perf_counter()
    for s in chosen:
        isolated, lost, hours = nx_segment(H, arrays, segments, s, supplies, towns, base)
        c = by_id[s]
        same &= (
            isolated == c.towns_isolated
            and abs(lost - c.demand_lost) <= 0.01
            and math.isclose(hours, c.added_hours, abs_tol=1e-3)
        )
    loop = time.perf_counter() - t
    theirs = setup + loop * len(open_ids) / len(chosen)
    note = "" if len(chosen) == len(open_ids) else f" (extrapolated from {len(chosen)} sampled segments)"
    print(
        f"{label:<40}{len(arrays.keys):>9,}{len(open_ids):>9,}{ours:>10.1f}{theirs:>13.1f}{theirs / ours:>9.0f}x  "
        f"{'same results' if same else 'RESULTS DIFFER'}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=175)
    parser.add_argument("--sample", type=int, default=8)
    args = parser.parse_args()
    print(f"{'network':<40}{'edges':>9}{'segments':>9}{'siege s':>10}{'networkx s':>13}{'ratio':>10}")

    from siege.scenario import degrade, load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "nara-rn4-2024.toml")
    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    towns = [(base.index[t.node], t.demand) for t in scenario.on_network]
    bench("bundled Mali, Nara scenario", arrays, supplies, towns, None)

    arrays = degrade_randomly(RoadArrays.from_graph(road_like_graph(args.side)))
    rng = np.random.default_rng(11)
    nodes = rng.choice(arrays.n, 56, replace=False)
    supplies = [(int(n), float(rng.uniform(300, 1500))) for n in nodes[:6]]
    towns = [(int(n), float(rng.uniform(5, 400))) for n in nodes[6:]]
    bench(f"generated road-like grid {args.side}x{args.side}", arrays, supplies, towns, args.sample)


if __name__ == "__main__":
    main()
