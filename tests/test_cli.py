"""The command line as a user runs it: summaries, exports, and one clean line for every bad input."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from .conftest import DATA, REPO, run_cli


def test_help_reads_well():
    out = run_cli("--help")
    assert out.returncode == 0 and "network" in out.stdout
    out = run_cli("network", "info", "--help")
    assert "--road-classes" in out.stdout and "SOURCE" in out.stdout


def test_info_of_bundled_network_says_schematic():
    out = run_cli("network", "info")
    assert out.returncode == 0, out.stderr
    assert "SCHEMATIC" in out.stdout and "OSM extract" in out.stdout
    assert "RN4" in out.stdout and "Nara" in out.stdout
    assert "NOT snapped" in out.stdout  # off-network cercle capitals are reported


def test_a_clipped_extract_loads_with_a_count_of_dropped_references(tmp_path):
    # a way that refers to a node not in the file (as at the edge of an extract) is cut there
    text = "\n".join(ln for ln in (DATA / "tiny.osm").read_text().splitlines() if 'id="-3"' not in ln)
    out = run_cli("network", "info", _bad(tmp_path, "trunc.osm", text))
    assert out.returncode == 0, out.stderr
    assert "clipped extract: 2 node references point outside the file" in out.stdout


def test_info_json():
    out = run_cli("network", "info", str(DATA / "tiny.osm"), "--format", "json")
    data = json.loads(out.stdout)
    assert data["nodes"] == 6 and data["schematic"] is False
    assert data["km_by_ref"]["RN3"] == data["km_by_ref"]["RN4"] > 0


def test_distances_command_passes_on_bundled_network():
    out = run_cli("network", "distances")
    assert out.returncode == 0, out.stdout[-2000:]
    assert "0 pair(s) outside ±15%" in out.stdout
    # every status in the table is explained below it
    assert "IMPOSS = the figure is shorter than the straight line" in out.stdout and "FAIL = " in out.stdout


def test_place_lookup():
    out = run_cli("place", "segou")
    assert out.returncode == 0 and out.stdout.startswith("Ségou")


def _bad(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "make_args,expect",
    [
        (lambda t: ["network", "info", t / "missing.osm"], "no such file"),
        (lambda t: ["network", "info", _bad(t, "x.osm", "this is not xml")], "not a valid OSM XML file"),
        (lambda t: ["network", "info", _bad(t, "x.osm", "<html><body/></html>")], "expected <osm>"),
        (
            lambda t: ["network", "info", _bad(t, "cut.osm", (DATA / "tiny.osm").read_text()[:900])],
            "not a valid OSM XML file",
        ),
        (lambda t: ["network", "info", DATA / "tiny.osm", "--road-classes", "motorway"], "no roads left"),
        (lambda t: ["network", "info", _bad(t, "roads.shp", "x")], "unknown network source"),
        (lambda t: ["network", "info", _bad(t, "x.osm.pbf", "not a pbf")], "OSM PBF"),
        (lambda t: ["network", "info", _bad(t, "x.graphml", "<graphml")], "not a GraphML road network"),
        (
            lambda t: ["network", "info", "--tables", _bad(t, "t.toml", "[speed_kph.primary]\npaved = -1\n")],
            "speed_kph.primary.paved",
        ),
        (lambda t: ["place", "Sikaso"], "did you mean 'Sikasso'"),
        (lambda t: ["network", "export", DATA / "tiny.osm", "--out", t / "x.shp"], "unknown export format"),
        (lambda t: ["network", "export", DATA / "tiny.osm", "--out", t], "is a folder"),
        (lambda t: ["network", "download", "--bbox", "1,2,3", "--out", t / "x.graphml"], "WEST,SOUTH,EAST,NORTH"),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_code_2(tmp_path, make_args, expect):
    out = run_cli(*make_args(tmp_path))
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], lines


def test_export_formats(tmp_path):
    for name in ("net.gpkg", "net.geojson", "net.graphml"):
        out = run_cli("network", "export", DATA / "tiny.osm", "--out", tmp_path / name)
        assert out.returncode == 0, out.stderr
    edges = gpd.read_file(tmp_path / "net.gpkg", layer="edges")
    nodes = gpd.read_file(tmp_path / "net.gpkg", layer="nodes")
    assert len(edges) == 10 and len(nodes) == 6
    assert set(edges["ref"]) == {"RN3;RN4", "RN5", "RN6", ""}
    both = gpd.read_file(tmp_path / "net.geojson")
    assert sorted(both["layer"].value_counts().items()) == [("edges", 10), ("nodes", 6)]
    assert not list(tmp_path.glob(".*part*"))  # no temporary files left behind


def test_graphml_round_trip(tmp_path):
    from siege import load_network

    run_cli("network", "export", DATA / "tiny.osm", "--out", tmp_path / "net.graphml")
    G = load_network(tmp_path / "net.graphml")
    H = load_network(DATA / "tiny.osm")
    assert sorted(G.edges()) == sorted(H.edges())
    assert G.get_edge_data(-1, -2)[0]["ref"] == ["RN3", "RN4"]
    assert G.get_edge_data(-1, -2)[0]["capacity"] == H.get_edge_data(-1, -2)[0]["capacity"]


def test_bundled_export_has_places_layer(tmp_path):
    out = run_cli("network", "export", "--out", tmp_path / "mali.gpkg")
    assert out.returncode == 0, out.stderr
    places = gpd.read_file(tmp_path / "mali.gpkg", layer="places")
    assert "Nara" in set(places["name"])
    assert places.loc[places["name"] == "Youwarou", "node"].isna().all()  # no road found (off_network.csv)
    assert places.loc[places["name"] == "Kidal", "node"].notna().all()  # Gao–Kidal, 352 km


@pytest.mark.parametrize("argv", [["--help"], ["place", "Nara"], ["run", "--help"]])
def test_light_commands_do_not_load_the_heavy_stack(argv):
    """`siege --help` and `siege place` answer without importing osmnx, geopandas, networkx or scipy
    (their import is what made them take ~2 s); the API still offers every name."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from siege.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = [m for m in ('osmnx', 'geopandas', 'networkx', 'scipy', 'folium', 'pandas') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "HEAVY []" in res.stdout, res.stdout
    import siege

    assert callable(siege.run) and callable(siege.load_scenario) and set(siege.__all__) <= set(dir(siege))


def test_the_readme_command_table_matches_the_cli():
    """Every command of the CLI is in the README's table with every option it takes (the common
    --road-classes, --tables and --largest-component are described once below it), and the table
    names no option the CLI does not have."""
    import re

    import click

    from siege.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Commands") : readme.index("## What siege promises")]
    rows = [line for line in section.splitlines() if line.startswith("| `siege")]
    common = {"--road-classes", "--tables", "--largest-component", "--help"}

    def commands(cmd, path):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from commands(sub, [*path, name])
        else:
            yield " ".join(path), {o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("--")}

    for name, options in commands(main, ["siege"]):
        row = next((r for r in rows if r.startswith(f"| `{name} ") or r.startswith(f"| `{name}`")), None)
        assert row is not None, f"{name} is not in the README's command table"
        spans = " ".join(re.findall(r"`([^`]*)`", row))  # the command cell and any code in the description
        documented = set(re.findall(r"--[a-z][a-z-]*", spans))
        assert options - common <= documented, (name, sorted(options - common - documented))
        assert documented <= options, (name, sorted(documented - options))
