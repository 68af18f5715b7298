"""`siege run` of a bundled scenario against its own model: the whole command's CPU over `simulate()`'s.

    python benchmarks/run.py [--scenario scenarios/bamako-fuel-blockade-2025.toml] [--repeat 3]

The baseline is the scenario's day-by-day run, ``siege.supply.simulate`` over its period, in this
process after one warm-up (the network loaded); the command is a fresh ``siege run`` process each
time (imports, load, the evaluation day's table, the timeline, report, map and every file), with and
without ``--compare-policies`` (two more runs of the period), after one warm-up run of the command
as well: what a user's second run costs (siege's modules byte-compiled by Python even where
``PYTHONDONTWRITEBYTECODE`` is set, as it is on the machine these figures come from; the map's
skeleton kept in the cache folder). CPU seconds from getrusage, so a busy
machine matters less than wall time; the best of ``--repeat``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from siege.scenario import load_scenario
from siege.supply import simulate

ROOT = Path(__file__).resolve().parent.parent


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _command_cpu(args: list[str]) -> tuple[float, int]:
    """CPU seconds and peak resident KB of one `siege run` process."""
    before = _cpu(resource.RUSAGE_CHILDREN)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "siege", "run", *args, "--out", out]
        subprocess.run(command, check=True, capture_output=True, env=env)
    return _cpu(resource.RUSAGE_CHILDREN) - before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "bamako-fuel-blockade-2025.toml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    simulate(scenario)  # warm-up: lazy imports, the prepared graph
    sim = []
    for _ in range(args.repeat):
        c = _cpu(resource.RUSAGE_SELF)
        simulate(scenario)
        sim.append(_cpu(resource.RUSAGE_SELF) - c)
    _command_cpu([str(args.scenario)])  # warm-up: bytecode written, the map's skeleton kept
    runs = [_command_cpu([str(args.scenario)]) for _ in range(args.repeat)]
    compared = [_command_cpu([str(args.scenario), "--compare-policies"]) for _ in range(args.repeat)]
    s, r, p = min(sim), min(c for c, _ in runs), min(c for c, _ in compared)
    print(f"scenario {scenario.name!r}, {scenario.start} to {scenario.end}; CPU seconds, best of {args.repeat}")
    print(f"{'simulate() (baseline)':<40}{s:>8.2f}{1.0:>8.2f}")
    print(f"{'siege run':<40}{r:>8.2f}{r / s:>8.2f}")
    print(f"{'siege run --compare-policies':<40}{p:>8.2f}{p / s:>8.2f}")
    print(
        json.dumps(
            {
                "simulate_cpu_s": round(s, 3),
                "run_cpu_s": round(r, 3),
                "run_compare_policies_cpu_s": round(p, 3),
                "run_ratio": round(r / s, 3),
                "peak_rss_mb": round(max(m for _, m in runs) / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
