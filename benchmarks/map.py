"""Map generation: time and file size of siege's map.html, against plain folium drawing the same features.

    python benchmarks/map.py [SCENARIO]

Target: under 2 seconds and under 5 MB for the bundled network. The baseline, measured in the same
run, is the offline folium build drawing the same roads (one GeoJson layer) and towns (one
CircleMarker with a popup each), with no events, steps or interaction.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import offlinefolium as folium

from siege.analyses.isolation import run, run_steps, step_days
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
    scenario_path = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parent.parent / "scenarios" / "bamako-fuel-blockade-2025.toml"
    )
    scenario = load_scenario(scenario_path)
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


if __name__ == "__main__":
    main()
