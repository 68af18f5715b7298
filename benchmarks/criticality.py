"""Single-segment criticality: siege against the best others a user could write or install, in one run.

    python benchmarks/criticality.py [--side 175] [--sample 8]

Each line says which question it answers, and each ratio compares answers to the same question:

- **siege** — for every segment: towns cut off, supply lost (maximum flow) and hours added over all
  towns' supply routes; and apart, **siege's hours column alone** (``added_hours``, with the segment
  table it needs), the like-for-like match for gravel;
- **floor** — what any exact method must at least do once: one Dijkstra from the supply points, one
  per town on the reversed graph, and one maximum flow (scipy.sparse.csgraph); the whole analysis is
  reported as a multiple of it;
- **networkx remove-and-recompute** — the same three answers, removing each segment and re-solving
  with networkx (multi-source Dijkstra, maximum flow), then putting it back; on the generated graph
  timed on a sample of segments and extrapolated (the printout says so), results compared;
- **gravel-fragility (Hershberger–Suri)** — hours added only: exact replacement paths for every
  edge of each town's route (from a virtual node joined to the supply points), summed per segment
  and compared with siege's; installed from PyPI for the benchmark (``pip install gravel-fragility``),
  skipped if absent;
- **ra2ce-style single-link redundancy** — a different question: for each segment, the detour
  between its two ends when it is closed (as ra2ce's single-link redundancy analysis reports), one
  networkx Dijkstra per segment; sampled and extrapolated on the generated graph. ra2ce's own
  implementation was reported at 5.9 s on a 110k-edge graph.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from pathlib import Path

import networkx as nx
import numpy as np
from solve import degrade_randomly, road_like_graph  # benchmarks/solve.py: scripts here run as python benchmarks/X.py

from siege.analyses.criticality import Segments, added_hours, criticality
from siege.solver import reference as ref
from siege.solver.arrays import RoadArrays


@contextlib.contextmanager
def _without(H: nx.MultiDiGraph, arrays: RoadArrays, segments: Segments, s: int):
    """``H`` with every direction of segment ``s`` removed, put back afterwards."""
    removed = []
    for i in segments.edges[s]:
        u, v = int(arrays.src[i]), int(arrays.dst[i])
        if H.has_edge(u, v, i):
            removed.append((u, v, i, dict(H.edges[u, v, i])))
            H.remove_edge(u, v, i)
    try:
        yield H
    finally:
        for u, v, i, data in removed:
            H.add_edge(u, v, key=i, **data)


def nx_segment(H: nx.MultiDiGraph, arrays: RoadArrays, segments: Segments, s: int, supplies, towns, base) -> tuple:
    """Remove one segment, recompute with networkx, restore it."""
    with _without(H, arrays, segments, s):
        return _recompute(H, supplies, towns, base)


def _recompute(H: nx.MultiDiGraph, supplies, towns, base) -> tuple:
    sources = [p for p, _ in supplies]
    dist = nx.multi_source_dijkstra_path_length(H, set(sources), weight="hours")
    nodes = [t for t, _ in towns]
    isolated = [j for j, t in enumerate(nodes) if t in base["dist"] and t not in dist]
    hours = sum(dist[t] - base["dist"][t] for t in nodes if t in dist and t in base["dist"])
    D = ref._flow_graph(H, supplies, towns, [d for _, d in towns])
    lost = max(0.0, base["flow"] - nx.maximum_flow_value(D, "S", "T"))
    return isolated, lost, hours


def floor_seconds(arrays: RoadArrays, supplies, towns) -> float:
    """One Dijkstra from the supply points, one per town on the reversed graph, one maximum flow."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra, maximum_flow

    op = np.flatnonzero(arrays.open)
    n = arrays.n
    t = time.perf_counter()
    src = np.r_[arrays.src[op], np.full(len(supplies), n)]
    dst = np.r_[arrays.dst[op], [p for p, _ in supplies]]
    hours = np.r_[arrays.hours[op], np.full(len(supplies), 1e-9)]
    G = sp.csr_matrix((hours, (src, dst)), shape=(n + 1, n + 1))
    dijkstra(G, indices=n)
    dijkstra(G.T.tocsr(), indices=[t for t, _ in towns])
    sink = n + 1
    fsrc = np.r_[arrays.src[op], np.full(len(supplies), n), [t for t, _ in towns]]
    fdst = np.r_[arrays.dst[op], [p for p, _ in supplies], np.full(len(towns), sink)]
    caps = np.r_[arrays.capacity[op], [c for _, c in supplies], [d for _, d in towns]]
    F = sp.csr_matrix((np.ceil(caps * 100).astype(np.int32), (fsrc, fdst)), shape=(n + 2, n + 2))
    F.sum_duplicates()
    maximum_flow(F, n, sink)
    return time.perf_counter() - t


def bench(label, arrays, supplies, towns, sample: int | None, detour_sample: int | None = None) -> dict:
    population = [10_000] * len(towns)
    t = time.perf_counter()
    result = criticality(arrays, supplies, towns, population)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    hours_only = Segments.of(arrays)
    added_hours(arrays, hours_only, sorted({p for p, _ in supplies}), [t for t, _ in towns])
    ours_hours = time.perf_counter() - t
    floor = floor_seconds(arrays, supplies, towns)
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
    print(f"{label}: {len(arrays.keys):,} edges, {len(open_ids):,} segments, {len(towns)} towns")
    _line("siege (all three answers)", ours, ours, f"{ours / floor:.1f}x the floor")
    _line("floor (1 + towns Dijkstras, 1 max flow)", floor, ours, "a lower bound, not an answer")
    _line("networkx remove-and-recompute", theirs, ours, ("same results" if same else "RESULTS DIFFER") + note)
    _line("siege, hours added only", ours_hours, ours_hours, "the answer gravel gives")
    gravel_s = _gravel(arrays, segments, supplies, towns, result, ours_hours)
    local = open_ids
    if detour_sample and detour_sample < len(open_ids):
        local = [int(x) for x in np.random.default_rng(6).choice(open_ids, detour_sample, replace=False)]
    _ra2ce_style(H, arrays, segments, open_ids, local, ours)
    return {
        "edges": len(arrays.keys),
        "siege_total_s": round(ours, 3),
        "siege_hours_s": round(ours_hours, 3),
        "gravel_hours_s": None if gravel_s is None else round(gravel_s, 3),
        "floor_s": round(floor, 4),
        "networkx_s": round(theirs, 3),
        "total_over_floor": round(ours / floor, 1),
        "hours_over_gravel": None if gravel_s is None else round(ours_hours / gravel_s, 2),
    }


def _line(what: str, seconds: float, ours: float, note: str) -> None:
    print(f"  {what:<40}{seconds:>10.2f} s{seconds / ours:>9.1f}x  {note}")


def _gravel(arrays: RoadArrays, segments: Segments, supplies, towns, result, ours: float) -> float | None:
    """Hours added per segment from gravel's exact replacement paths, against siege's hours alone."""
    try:
        import gravel
    except ImportError:
        print("  gravel-fragility not installed (pip install gravel-fragility): skipped")
        return None
    op = np.flatnonzero(arrays.open)
    n = arrays.n
    src = np.r_[arrays.src[op], np.full(len(supplies), n)].astype(np.uint32)
    dst = np.r_[arrays.dst[op], [p for p, _ in supplies]].astype(np.uint32)
    w = np.r_[arrays.hours[op], np.zeros(len(supplies))]
    edge_at = {(int(a), int(b)): int(i) for a, b, i in zip(arrays.src[op], arrays.dst[op], op, strict=True)}
    t = time.perf_counter()
    g = gravel.Graph.from_coo(n + 1, src, dst, w.astype(np.float64))
    added: dict[int, float] = {}
    for node, _ in towns:
        r = gravel.hershberger_suri(g, n, int(node))
        if not r.valid:
            continue
        for e in r.edge_fragilities:
            if e.source == n or not math.isfinite(e.replacement_distance):
                continue
            s = int(segments.of_edge[edge_at[(e.source, e.target)]])
            added[s] = added.get(s, 0.0) + e.replacement_distance - r.primary_distance
    seconds = time.perf_counter() - t
    ours_added = {c.segment: c.added_hours for c in result.table if c.added_hours}
    same = all(
        math.isclose(ours_added.get(s, 0.0), added.get(s, 0.0), abs_tol=2e-3) for s in set(ours_added) | set(added)
    )
    _line("gravel-fragility (hours added only)", seconds, ours, "same hours added" if same else "HOURS DIFFER")
    return seconds


def _ra2ce_style(H: nx.MultiDiGraph, arrays: RoadArrays, segments: Segments, open_ids, chosen, ours: float) -> None:
    """Local detour per segment (a different question), timed on the sample and extrapolated."""
    t = time.perf_counter()
    for s in chosen:
        u, v = int(arrays.src[segments.edges[s][0]]), int(arrays.dst[segments.edges[s][0]])
        with _without(H, arrays, segments, s), contextlib.suppress(nx.NetworkXNoPath):
            nx.bidirectional_dijkstra(H, u, v, weight="hours")
    seconds = (time.perf_counter() - t) * len(open_ids) / len(chosen)
    note = "different question: local detour per segment" + (
        "" if len(chosen) == len(open_ids) else f" (extrapolated from {len(chosen)} segments)"
    )
    _line("ra2ce-style single-link redundancy", seconds, ours, note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=175)
    parser.add_argument("--sample", type=int, default=8)
    parser.add_argument("--ra2ce-sample", type=int, default=400, help="segments timed for the ra2ce-style loop")
    args = parser.parse_args()
    print(f"{'':<42}{'seconds':>10}{'÷ siege':>11}")

    from siege.scenario import degrade, load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "nara-rn4-2024.toml")
    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    towns = [(base.index[t.node], t.demand) for t in scenario.on_network]
    figures = {"bundled": bench("bundled Mali, Nara scenario", arrays, supplies, towns, None)}

    arrays = degrade_randomly(RoadArrays.from_graph(road_like_graph(args.side)))
    rng = np.random.default_rng(11)
    nodes = rng.choice(arrays.n, 56, replace=False)
    supplies = [(int(n), float(rng.uniform(300, 1500))) for n in nodes[:6]]
    towns = [(int(n), float(rng.uniform(5, 400))) for n in nodes[6:]]
    figures["generated"] = bench(
        f"generated road-like grid {args.side}x{args.side}", arrays, supplies, towns, args.sample, args.ra2ce_sample
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
