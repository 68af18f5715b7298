"""Map generation: time and file size of siege's map.html, against plain folium drawing the same features.

    python benchmarks/map.py [SCENARIO]

Target: under 2 seconds and under 5 MB for the bundled network. The baseline, measured in the same
run, is the offline folium build drawing the same roads (one GeoJson layer) and towns (one
CircleMarker with a popup each), with no events, steps or interaction: it answers less (no date
steps, legend, tables or search), so the ratio is what those cost. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import offlinefolium as folium

from siege.analyses.isolation import run, run_steps, step_days
from siege.errors import SiegeInputError
from siege.outputs.map import map_data, write_map
from siege.scenario import load_scenario


def plain_folium(result, path: Path) -> None:
    data = map_data(result)
    m = folium.Map(location=[14, -6], zoom_start=6, tiles=None)
    folium.GeoJson(data["roads"]).add_to(m)
    for t in result.towns:
        folium.CircleMarker([t.lat, t.lon], radius=6, popup=folium.Popup(f"{t.town}: {t.status}")).add_to(m)
    m.save(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "scenarios" / "bamako-fuel-blockade-2025.toml",
    )
    try:
        scenario = load_scenario(parser.parse_args().scenario)
    except SiegeInputError as err:
        parser.error(str(err))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = run(scenario)
        steps = run_steps(scenario, step_days(scenario)[:-1])
        solve_s = time.perf_counter() - t
        t = time.perf_counter()
        ours = write_map(result, Path(tmp) / "map.html", steps=[*steps, result])
        map_s = time.perf_counter() - t
        t = time.perf_counter()
        base = Path(tmp) / "plain.html"
        plain_folium(result, base)
        base_s = time.perf_counter() - t
        print(f"scenario: {scenario.name} ({len(steps) + 1} date steps)")
        print(f"solving (run + date steps): {solve_s:.2f} s")
        print(f"{'':<22}{'seconds':>9}{'MB':>8}")
        print(f"{'siege map.html':<22}{map_s:>9.2f}{ours.stat().st_size / 1e6:>8.2f}")
        print(f"{'plain folium':<22}{base_s:>9.2f}{base.stat().st_size / 1e6:>8.2f}")
        print(f"{'ratio':<22}{map_s / base_s:>9.2f}{ours.stat().st_size / base.stat().st_size:>8.2f}")
        figures = {
            "solve_s": round(solve_s, 3),
            "map_s": round(map_s, 3),
            "map_bytes": ours.stat().st_size,
            "folium_s": round(base_s, 3),
            "folium_bytes": base.stat().st_size,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
