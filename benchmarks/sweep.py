"""Sweep throughput, locally and on a 2-worker Dask LocalCluster, and a 365-day run through time.

    python benchmarks/sweep.py [--runs 200] [--scenario scenarios/bamako-fuel-blockade-2025.toml]

The baseline for the variants/second ratios is the same sweep in one process, measured in the same
run; every backend must give the identical table for the same seed. The bundled scenario has no
uncertain part, so its variants are alike and a worker reuses its first variant's lanes and solved
days; the last line sweeps it with the start of its second event drawn over six weeks (``--vary``),
where every variant differs from the others after its own start date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import pandas as pd

from siege.analyses.sweep import SweepConfig, parse_axis, sweep
from siege.scenario import load_scenario
from siege.supply import simulate

ROOT = Path(__file__).resolve().parent.parent
VARIED = (parse_axis("events.1.start=2025-09-05..2025-10-15"),)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "bamako-fuel-blockade-2025.toml")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    start = scenario.start or dt.date(2025, 9, 1)
    t = time.perf_counter()
    timeline = simulate(scenario, start=start, end=start + dt.timedelta(days=364))
    year = time.perf_counter() - t
    print(f"365-day run of {scenario.name!r}: {year:.2f} s ({len(timeline.frame):,} town-days)")

    print(f"{'backend':<28}{'variants':>9}{'seconds':>9}{'variants/s':>12}{'ratio':>8}  same table")
    base = None
    for label, kwargs in (
        ("one process", {"workers": 1}),
        ("local processes (2)", {"workers": 2}),
        ("Dask LocalCluster (2 workers)", {"dask": "local"}),
        ("one process, start varied", {"workers": 1, "vary": VARIED}),
    ):
        t = time.perf_counter()
        vary = kwargs.pop("vary", ())
        result = sweep(SweepConfig(args.scenario, runs=args.runs, seed=42, vary=vary), **kwargs)
        seconds = time.perf_counter() - t
        rate = args.runs / seconds
        if base is None:
            base = (result, rate)
        same = "yes" if _same(base[0].table, result.table) else ("NO" if not vary else "(varied)")
        print(f"{label:<28}{args.runs:>9}{seconds:>9.1f}{rate:>12.2f}{rate / base[1]:>8.2f}  {same}")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b)
        return True
    except AssertionError:
        return False


if __name__ == "__main__":
    main()
