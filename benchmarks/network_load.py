"""Network loading: time and peak memory, siege vs plain osmnx, measured in the same run.

    python benchmarks/network_load.py [--ways 50000] [--pbf-ways 200000]

For the bundled Mali network and for a generated road-like OSM XML file (a grid of towns joined by
roads of mixed classes, with railways and footways to drop), each loader runs in its own process so
that its peak memory (max RSS) is its own. The baseline is plain ``osmnx.graph_from_xml`` on the same
file; siege adds the road-class filter, the ``place``-aware simplification and the schema attributes.

``--pbf-ways N`` also generates a Mali-sized OSM PBF (N ways of ~10 nodes: about 2 M nodes for
200,000 ways; trunk to tertiary roads, and residential streets, tracks and footways that the default
road classes drop) and times siege on it: the targets are a load in 60 s and 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
kind, path = sys.argv[1], sys.argv[2]
import osmnx as ox
from siege.network.source import load_network
t = time.perf_counter()
if kind == "osmnx":
    G = ox.graph_from_xml(path)
else:
    G = load_network(path)
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "nodes": len(G), "edges": G.number_of_edges()}))
"""


def generate_osm_xml(path: Path, *, ways: int, seed: int = 1) -> int:
    """Write a grid road network with at least ``ways`` highway ways; returns the number written."""
    rng = random.Random(seed)
    side = 2
    while 2 * side * (side - 1) < ways:
        side += 1
    classes = ["trunk", "primary", "secondary", "tertiary", "tertiary", "unclassified"]
    surfaces = ["asphalt", "unpaved", "gravel", ""]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="siege benchmark">']
    step = 0.01
    nid = 0
    grid = {}
    for i in range(side):
        for j in range(side):
            nid += 1
            grid[i, j] = nid
            lat, lon = 12.0 + i * step, -8.0 + j * step
            lines.append(f'<node id="{nid}" lat="{lat:.6f}" lon="{lon:.6f}"/>')
    way_id = 0
    body = []
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0)):
                if i + di >= side or j + dj >= side:
                    continue
                nid += 1  # a shape point in the middle of each road section
                lat = 12.0 + (i + di / 2) * step + rng.uniform(-0.002, 0.002)
                lon = -8.0 + (j + dj / 2) * step + rng.uniform(-0.002, 0.002)
                lines.append(f'<node id="{nid}" lat="{lat:.6f}" lon="{lon:.6f}"/>')
                way_id += 1
                cls = classes[(i // 10 + j // 10) % len(classes)] if di else classes[(i * 7 + j) % len(classes)]
                tags = [("highway", cls), ("ref", f"RN{(i + j) % 40}")]
                surface = surfaces[way_id % len(surfaces)]
                if surface:
                    tags.append(("surface", surface))
                if way_id % 97 == 0:
                    tags = [("railway", "rail")]
                elif way_id % 89 == 0:
                    tags = [("highway", "footway")]
                body.append(f'<way id="{way_id}">')
                body += [f'<nd ref="{n}"/>' for n in (grid[i, j], nid, grid[i + di, j + dj])]
                body += [f'<tag k="{k}" v="{v}"/>' for k, v in tags]
                body.append("</way>")
    lines += body
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return way_id


#: degrees between junctions of the generated grid (from 12° W, 10° N)
GRID_STEP = 0.02


def grid_side(ways: int) -> int:
    """Junctions along one side of the grid that holds ``ways`` ways."""
    side = 2
    while 2 * side * (side - 1) < ways:
        side += 1
    return side


def extract_scenario(
    pbf: Path, *, name: str, east: tuple[float, float], attack: tuple[float, float], radius_km: float
) -> str:
    """A scenario on a generated extract: its towns, a western port and an eastern border crossing
    (``east``: lat, lon) as supply points, and an attack at ``attack`` (lat, lon) for a month."""
    return f"""name = {json.dumps(name)}
network = {json.dumps(str(pbf))}
date = 2025-10-01

[[supply]]
name = "Western port"
lat = 10.2
lon = -11.8
capacity = 800

[[supply]]
name = "Eastern border"
lat = {east[0]}
lon = {east[1]}
capacity = 400

[[events]]
kind = "attack"
name = "attack on the central roads"
lat = {attack[0]}
lon = {attack[1]}
radius_km = {radius_km:g}
date = 2025-09-20
end = 2025-10-20
effect = {{ risk = 0.5 }}
"""


def generate_pbf(path: Path, *, ways: int, per_way: int = 10, seed: int = 2) -> tuple[int, int]:
    """A road-like grid written as OSM PBF with pyosmium: ``ways`` ways of ``per_way`` nodes each
    (shape points between junctions); returns (nodes, ways) written."""
    import osmium

    rng = random.Random(seed)
    side = grid_side(ways)
    step = GRID_STEP
    classes = ["trunk", "primary", "secondary", "tertiary", "residential", "residential", "track", "footway"]
    nid = wid = 0
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        grid = {}
        for i in range(side):
            for j in range(side):
                nid += 1
                grid[i, j] = nid
                tags = {"place": "town", "name": f"T{i}_{j}"} if (i % 25 == 0 and j % 25 == 0) else {}
                writer.add_node(osmium.osm.mutable.Node(id=nid, location=(-12 + j * step, 10 + i * step), tags=tags))
        for i in range(side):
            for j in range(side):
                for di, dj in ((0, 1), (1, 0)):
                    if i + di >= side or j + dj >= side or wid >= ways:
                        continue
                    refs = [grid[i, j]]
                    for k in range(1, per_way - 1):
                        nid += 1
                        t = k / (per_way - 1)
                        lon = -12 + (j + dj * t) * step + rng.uniform(-0.001, 0.001)
                        lat = 10 + (i + di * t) * step + rng.uniform(-0.001, 0.001)
                        writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat)))
                        refs.append(nid)
                    refs.append(grid[i + di, j + dj])
                    wid += 1
                    cls = (
                        classes[0]
                        if (i % 20 == 0 and di == 0) or (j % 20 == 0 and di == 1)
                        else rng.choice(classes[1:])
                    )
                    tags = {"highway": cls, "ref": f"RN{(i + j) % 40}"} if cls in classes[:4] else {"highway": cls}
                    writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    return nid, wid


PBF_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from siege.network.source import load_network
t = time.perf_counter()
G = load_network(sys.argv[1])
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "nodes": len(G), "edges": G.number_of_edges()}))
"""


def run(kind: str, path: Path | str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ways", type=int, default=50_000)
    parser.add_argument("--pbf-ways", type=int, default=0, help="also time a generated PBF of this many ways")
    args = parser.parse_args()
    if args.pbf_ways:
        with tempfile.TemporaryDirectory() as tmp:
            pbf = Path(tmp) / "mali-sized.osm.pbf"
            t = time.perf_counter()
            nodes, ways = generate_pbf(pbf, ways=args.pbf_ways)
            print(
                f"generated {pbf.name}: {nodes:,} nodes, {ways:,} ways, {pbf.stat().st_size / 1e6:.0f} MB "
                f"in {time.perf_counter() - t:.0f} s"
            )
            out = subprocess.run([sys.executable, "-c", PBF_CHILD, str(pbf)], capture_output=True, text=True)
            if out.returncode:
                print(out.stderr.strip().splitlines()[-1])
            else:
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"siege load: {r['seconds']:.1f} s (target 60), peak {r['peak_mb']:,.0f} MB (target 1,500), "
                    f"{r['nodes']:,} nodes, {r['edges']:,} edges kept"
                )

    from siege.network import bundled

    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "grid.osm"
        t = time.perf_counter()
        n_ways = generate_osm_xml(generated, ways=args.ways)
        print(
            f"generated {generated.name}: {n_ways:,} ways, {generated.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - t:.1f} s"
        )
        print(f"{'network':<22}{'loader':<8}{'seconds':>9}{'peak MB':>9}{'nodes':>9}{'edges':>9}")
        for label, path in (("bundled Mali", bundled.osm_path()), (f"generated {n_ways:,} ways", generated)):
            base, ours = run("osmnx", path), run("siege", path)
            for name, r in (("osmnx", base), ("siege", ours)):
                print(f"{label:<22}{name:<8}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{r['nodes']:>9,}{r['edges']:>9,}")
            print(
                f"{label:<22}{'ratio':<8}{ours['seconds'] / base['seconds']:>9.2f}"
                f"{ours['peak_mb'] / base['peak_mb']:>9.2f}   (siege / plain osmnx.graph_from_xml)"
            )


if __name__ == "__main__":
    main()
