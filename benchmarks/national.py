"""National scale: a generated Mali-sized OSM PBF through siege, against the issue's targets.

    python benchmarks/national.py [--ways 200000]

Generates the PBF of ``network_load.py`` (about 1.7 M nodes for 200,000 ways: trunk to tertiary
roads plus residential streets, tracks and footways the default classes drop; a town every 25
junctions) and measures, each in its own process: the first load (time, peak memory), the second
load (from the prepared-graph cache), ``siege run`` of a scenario with the extract's towns, two
supply points by lat/lon and an attack (time, peak memory), the size of its map.html and its
degradation.geojson, and single-segment criticality with every truck class (residential streets and
tracks too). Targets: load ≤ 60 s and ≤ 1.5 GB (issue 22: ≤ 3× the pyosmium pass), a second load
≤ 2 s and ≤ 400 MB, run ≤ 20 s and ≤ 1 GB, map ≤ 20 MB, criticality ≤ 10 minutes. It also
measures the cache's check of what an entry was built from (the SHA-256 of the whole file) against
the cached load it guards, and ends with one JSON line of its figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from network_load import (  # benchmarks/network_load.py: scripts here run as python benchmarks/X.py
    extract_scenario,
    generate_pbf,
)

LOAD = r"""
import json, resource, sys, time
from siege.network.source import load_network
t = time.perf_counter()
G = load_network(sys.argv[1])
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak_mb, "edges": G.number_of_edges()}))
"""


#: the floor of a first load: one pyosmium pass that reads every road way of siege's default classes
#: with its node locations (what any PBF reader must do), building nothing
PASS = r"""
import json, resource, sys, time
import osmium
from siege import settings
from siege.network.attributes import highway_values
t = time.perf_counter()
ways = (osmium.FileProcessor(sys.argv[1], osmium.osm.NODE | osmium.osm.WAY).with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.TagFilter(*[("highway", v) for v in highway_values(settings.DEFAULT_ROAD_CLASSES)])))
count = total = 0
for way in ways:
    count += 1
    for nd in way.nodes:
        total += nd.location.lon
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak_mb, "ways": count}))
"""


def _child(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run ``command``; its standard output, wall seconds and its own peak memory (MB), or exit on failure."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        t = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's rusage alone, not every child's so far
        seconds = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        if child.returncode:
            sys.exit((stderr.read().strip().splitlines() or [f"exit {child.returncode}"])[-1])
        return stdout.read(), seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ways", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "SIEGE_CACHE_DIR": str(tmp / "cache")}
        pbf = tmp / "mali-sized.osm.pbf"
        nodes, ways = generate_pbf(pbf, ways=args.ways)
        print(f"generated {pbf.name}: {nodes:,} nodes, {ways:,} ways, {pbf.stat().st_size / 1e6:.0f} MB")
        figures: dict[str, float] = {"nodes": nodes, "ways": ways, "pbf_mb": pbf.stat().st_size / 1e6}
        floor = json.loads(_child([sys.executable, "-c", PASS, str(pbf)], env)[0].strip().splitlines()[-1])
        head = f"{'pyosmium pass':<22}{floor['seconds']:>8.1f} s{floor['peak_mb']:>9,.0f} MB"
        print(f"{head}  {floor['ways']:,} road ways (the floor)")
        figures.update(pyosmium_pass_s=floor["seconds"], pyosmium_pass_peak_mb=floor["peak_mb"])
        for label, target in (("first load", "60 s, 1,500 MB"), ("second load (cache)", "2 s, 400 MB")):
            r = json.loads(_child([sys.executable, "-c", LOAD, str(pbf)], env)[0].strip().splitlines()[-1])
            print(f"{label:<22}{r['seconds']:>8.1f} s{r['peak_mb']:>9,.0f} MB  {r['edges']:,} edges   target {target}")
            figures[f"{label.split()[0]}_load_s"] = r["seconds"]
            figures[f"{label.split()[0]}_load_peak_mb"] = r["peak_mb"]
        ratio = figures["first_load_s"] / floor["seconds"]
        figures["first_load_vs_pass"] = ratio
        print(f"{'first load / pass':<22}{ratio:>8.1f} ×   (goal ≤ 3×)")
        # the cache's content check: SHA-256 of the whole file, as cache.built_from reads it
        t = time.perf_counter()
        digest = hashlib.sha256()
        with open(pbf, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        figures["hash_s"] = time.perf_counter() - t
        print(
            f"{'content hash (cache)':<22}{figures['hash_s']:>8.2f} s   "
            f"{figures['hash_s'] / figures['second_load_s']:.1%} of the cached load it guards"
        )
        scenario = tmp / "national.toml"
        scenario.write_text(
            extract_scenario(
                pbf, name="Generated national extract", east=(15.5, -6.5), attack=(13.0, -9.0), radius_km=40
            ),
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "siege", "run", str(scenario), "--out", str(tmp / "run")]
        _, seconds, peak = _child(command, env)
        size = (tmp / "run" / "map.html").stat().st_size / 1e6
        degraded = (tmp / "run" / "degradation.geojson").stat().st_size / 1e6
        print(f"{'siege run':<22}{seconds:>8.1f} s{peak:>9,.0f} MB  (goal 20 s, 1 GB; network from the cache)")
        print(f"{'map.html':<22}{size:>8.1f} MB  (target 20 MB)")
        print(f"{'degradation.geojson':<22}{degraded:>8.2f} MB  (the segments that are not open)")
        figures.update(run_s=seconds, run_peak_mb=peak, map_mb=size, degradation_mb=degraded)
        classes = "motorway,trunk,primary,secondary,tertiary,unclassified,residential,track"
        command = [sys.executable, "-m", "siege", "criticality", str(scenario), "--road-classes", classes]
        seconds, peak = _child([*command, "--out", str(tmp / "crit")], env)[1:]
        figures.update(criticality_s=seconds, criticality_peak_mb=peak)
        rows = sum(1 for _ in (tmp / "crit" / "criticality.csv").open()) - 1
        print(f"{'criticality, all truck classes':<22}{seconds:>8.1f} s{peak:>9,.0f} MB  "
              f"({rows:,} segments, network loaded afresh; target 10 min)")  # fmt: skip
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
