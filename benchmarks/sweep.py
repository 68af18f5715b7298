"""Sweep throughput, locally and on a 2-worker Dask LocalCluster, and a 365-day run through time.

    python benchmarks/sweep.py [--runs 250] [--repeat 3] [--distinct-runs 250] [--scenario ...]

The baseline for the variants/second ratios is the same sweep in one process, measured in the same
run; every backend must give the identical table for the same seed. Three sweeps, reported apart:
*identical* variants (the bundled scenario has no uncertain part: every variant draws the same, so the
sweep solves one and copies it, in the sweeping process on every backend), *varied* ones (the start
of its second event drawn over six weeks, ``--vary``: 41 possible days, so variants that drew the same
day are solved once and the others differ after their own start date) and *distinct* ones (the second
event's capacity factor drawn from a continuous range: no two variants alike, the test of the
processes' parallel gain), each on one process, two local processes and a 2-worker Dask LocalCluster,
after one warm-up sweep in this process (the first load is not counted on any side). The identical and
varied sweeps are measured ``--repeat`` times, the backends in a rotated order each round, and the
best of each backend is compared (one run of a sweep varies by a tenth from load alone); the distinct
sweep, minutes long, once. Before the sweeps, the machine's own ceiling: the same pure-Python task
(no shared data, nothing to coordinate) in one process and split over two, best of three — what two
processes gain on this machine at this moment (below 2× where the cores are shared with a neighbour
or slowed by heat), against which a sweep's ratio reads. The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import time
from pathlib import Path

import pandas as pd

from siege.analyses.sweep import SweepConfig, _memo, parse_axis, sweep
from siege.scenario import load_scenario
from siege.supply import simulate

ROOT = Path(__file__).resolve().parent.parent
VARIED = (parse_axis("events.1.start=2025-09-05..2025-10-15"),)
# a continuous axis: every variant draws its own value, so none is the same run as another
DISTINCT = (parse_axis("events.1.effect.capacity_factor=0.2..0.6"),)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the identical and varied sweeps")
    parser.add_argument("--distinct-runs", type=int, default=250)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "bamako-fuel-blockade-2025.toml")
    args = parser.parse_args()

    ceiling = _ceiling()
    print(f"the machine's ceiling: one task split over 2 processes runs {ceiling:.2f}x as fast as in one")
    scenario = load_scenario(args.scenario)
    start = scenario.start or dt.date(2025, 9, 1)
    t = time.perf_counter()
    timeline = simulate(scenario, start=start, end=start + dt.timedelta(days=364))
    year = time.perf_counter() - t
    print(f"365-day run of {scenario.name!r}: {year:.2f} s ({len(timeline.frame):,} town-days)")

    # warm up once (the network and the scenario loaded) so that no backend's figure carries the first
    # load: forked local workers inherit it, Dask workers load their own
    sweep(SweepConfig(args.scenario, runs=2, seed=7), workers=1)
    backends = (
        ("one process", "one", {"workers": 1}),
        ("local processes (2)", "local2", {"workers": 2}),
        ("Dask LocalCluster (2 workers)", "dask2", {"dask": "local"}),
    )
    header = f"{'variants':<10}{'backend':<30}{'runs':>6}{'best s':>8}{'range s':>13}{'variants/s':>12}{'ratio':>7}"
    print(header + "  same table")
    figures: dict[str, float] = {"parallel_ceiling": round(ceiling, 3), "year_s": round(year, 3)}
    for kind, vary, runs, rounds in (
        ("identical", (), args.runs, args.repeat),
        ("varied", VARIED, args.runs, args.repeat),
        ("distinct", DISTINCT, args.distinct_runs, 1),
    ):
        if runs <= 0:  # --distinct-runs 0: that sweep left out
            continue
        seconds: dict[str, list[float]] = {key: [] for _, key, _ in backends}
        tables: dict[str, pd.DataFrame] = {}
        for r in range(rounds):
            for _, key, kwargs in backends[r % 3 :] + backends[: r % 3]:
                # no backend starts with another's solved days: forked workers would inherit this process's
                _memo.cache_clear()
                t = time.perf_counter()
                result = sweep(SweepConfig(args.scenario, runs=runs, seed=42, vary=vary), **kwargs)
                seconds[key].append(time.perf_counter() - t)
                tables.setdefault(key, result.table)
        base = runs / min(seconds["one"])
        for label, key, _ in backends:
            best = min(seconds[key])
            rate = runs / best
            spread = f"{best:.1f}-{max(seconds[key]):.1f}"
            same = "yes" if _same(tables["one"], tables[key]) else "NO"
            print(f"{kind:<10}{label:<30}{runs:>6}{best:>8.1f}{spread:>13}{rate:>12.2f}{rate / base:>7.2f}  {same}")
            figures[f"{kind}_{key}_variants_per_s"] = round(rate, 3)
    print(json.dumps(figures))


def _spin(n: int) -> int:
    """Pure-Python work (no numpy: no library threads to blur the count)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _ceiling(tasks: int = 16, size: int = 1_000_000, rounds: int = 3) -> float:
    """How much faster ``tasks`` equal pieces of work finish on 2 processes than on one (best of
    ``rounds`` each)."""
    one = two = float("inf")
    with multiprocessing.get_context().Pool(2) as pool:
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(tasks):
                _spin(size)
            one = min(one, time.perf_counter() - t)
            t = time.perf_counter()
            pool.map(_spin, [size] * tasks, chunksize=1)
            two = min(two, time.perf_counter() - t)
    return one / two


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b)
        return True
    except AssertionError:
        return False


if __name__ == "__main__":
    main()
