"""The bundled schematic Mali network: content, calibration against published distances, freshness."""

from __future__ import annotations

import gzip
import itertools

import networkx as nx
import pytest

from siege.network import bundled
from siege.network.distances import check_published_distances, failing_pairs, format_checks
from siege.places import snap_places


def refs_at(G, node):
    return {r for _, _, d in G.edges(node, data=True) for r in d["ref"]}


def test_committed_osm_file_matches_its_data():
    text, _ = bundled.build_osm_xml()
    assert gzip.decompress(bundled.osm_path().read_bytes()).decode("utf-8") == text


def test_loads_through_the_osm_path_and_is_marked_schematic(mali):
    assert mali.graph["schematic"] is True
    assert "mali.osm.gz" in mali.graph["source"]
    assert nx.is_strongly_connected(mali)
    # every edge came from a way in the OSM file: negative ids as for objects not from OSM
    assert all(n < 0 for n in mali.nodes)


@pytest.mark.parametrize("ref", ["RN1", "RN3", "RN4", "RN5", "RN6", "RN7", "RN24", "RN26"])
def test_national_roads_present(mali, ref):
    assert any(ref in d["ref"] for _, _, d in mali.edges(data=True))


def test_every_national_road_into_bamako(mali, gazetteer):
    bamako = snap_places(mali, [gazetteer.get("Bamako")])[0].node
    assert {"RN3", "RN5", "RN6", "RN7", "RN26"} <= refs_at(mali, bamako)


def test_kwala_is_on_rn3_and_rn4(mali, gazetteer):
    kwala = snap_places(mali, [gazetteer.get("Kwala")])[0]
    assert kwala.snap_km == pytest.approx(0.0, abs=0.01)
    assert {"RN3", "RN4"} <= refs_at(mali, kwala.node)


def test_rn4_leads_from_kwala_to_nara(mali, gazetteer):
    kwala, nara = (s.node for s in snap_places(mali, [gazetteer.get("Kwala"), gazetteer.get("Nara")]))
    path = nx.shortest_path(mali, kwala, nara, weight="length")
    assert all("RN4" in mali.get_edge_data(u, v)[0]["ref"] for u, v in itertools.pairwise(path))


@pytest.mark.parametrize(
    "border_town",
    [
        "Kidira (SN)",
        "Ayoun el Atrous (MR)",
        "Siguiri (GN)",
        "Bouaké (CI)",
        "Boundiali (CI)",
        "Orodara (BF)",
        "Bobo-Dioulasso (BF)",
        "Ayorou (NE)",
    ],
)
def test_corridors_cross_every_border(mali, gazetteer, border_town):
    bamako, other = (s.node for s in snap_places(mali, [gazetteer.get("Bamako"), gazetteer.get(border_town)]))
    assert nx.has_path(mali, bamako, other) and nx.has_path(mali, other, bamako)


def test_every_cercle_capital_on_a_national_road_is_on_the_network(mali, gazetteer):
    import csv

    routes = csv.DictReader((bundled.data_dir() / "routes.csv").open(encoding="utf-8"))
    on_roads = {r["town"] for r in routes if r["ref"].startswith("RN")}
    towns = [p for p in gazetteer if p.kind in ("cercle_capital", "regional_capital", "capital") and p.name in on_roads]
    assert len(towns) > 25
    snapped = snap_places(mali, towns, max_snap_km=0.1)
    assert [s.place.name for s in snapped if not s.snapped] == []


def test_published_distances_within_15_percent(mali, gazetteer, capsys):
    checks = check_published_distances(mali, gazetteer, bundled.data_dir() / "distances.csv")
    with capsys.disabled():
        print("\n" + format_checks(checks))
    assert len(checks) >= 60
    assert {c.quality for c in checks} == {"A", "B"}
    assert failing_pairs(checks) == []
    # the only figures no road could meet are shorter than the straight line between the towns
    assert all(c.published_km < c.straight_km for c in checks if c.impossible)
    assert sum(c.impossible for c in checks) <= 2


def test_calibration_only_lengthens_legs():
    from siege.places import read_gazetteer

    gaz = read_gazetteer(bundled.data_dir() / "places.csv")
    legs = bundled.calibrate(bundled.read_legs(bundled.data_dir() / "legs.csv"), bundled.data_dir() / "spans.csv", gaz)
    assert len(legs) > 80
    unpublished = [cl for cl in legs if not cl.basis.startswith("published")]
    assert all(cl.road_km >= cl.straight_km for cl in unpublished)


def test_edge_lengths_follow_calibrated_legs(mali, gazetteer):
    legs = {frozenset((cl.leg.start, cl.leg.end)): cl for cl in bundled.build_osm_xml()[1]}
    leg = legs[frozenset(("Didiéni", "Diéma"))]
    a, b = (s.node for s in snap_places(mali, [gazetteer.get("Didiéni"), gazetteer.get("Diéma")]))
    assert mali.get_edge_data(a, b)[0]["length"] / 1000 == pytest.approx(leg.road_km, rel=0.002)


def test_every_capital_and_cercle_seat_is_on_the_network_or_says_why(mali, gazetteer):
    # coverage.csv's roads put the seats the first network left off on it; what stays off has a reason
    seats = [p for p in gazetteer if p.kind in ("capital", "regional_capital", "cercle_capital")]
    assert len(seats) >= 49
    off = [s.place.name for s in snap_places(mali, seats, max_snap_km=0.1) if not s.snapped]
    reasons = bundled.off_network_reasons()
    assert off == ["Youwarou"] and set(off) <= set(reasons)
    for town in ("Kidal", "Taoudenni", "Yélimané", "Djenné", "Bourem", "Tin-Essako"):
        assert town not in off


def test_links_without_a_published_distance_are_marked_estimated(mali):
    from siege.network.attributes import is_estimated

    _, legs = bundled.build_osm_xml()
    estimated = {frozenset((cl.leg.start, cl.leg.end)) for cl in legs if cl.estimated}
    published = {frozenset((cl.leg.start, cl.leg.end)) for cl in legs if cl.basis.startswith("published")}
    assert frozenset(("Kidal", "Abeïbara")) in estimated and frozenset(("Gao", "Kidal")) in published
    names = {frozenset(str(d["name"]).split(" – ")): is_estimated(d) for _, _, d in mali.edges(data=True)}
    assert names[frozenset(("Kidal", "Abeïbara"))] and not names[frozenset(("Gao", "Kidal"))]
    assert sum(names[k] for k in estimated if k in names) == len(estimated)


def test_a_run_says_why_a_town_is_off_and_flags_estimated_routes(tmp_path):
    from siege.analyses.isolation import run
    from siege.outputs.run import report_markdown
    from siege.scenario import load_scenario

    from .conftest import REPO

    report = report_markdown(run(load_scenario(REPO / "scenarios" / "baseline.toml")))
    assert "Youwarou (cercle capital): no road to it and no road distance were found" in report
    assert "No documented road reaches them" not in report
    row = next(line for line in report.splitlines() if line.startswith("| Abeïbara |"))
    assert "†" in row and "route(s) include links whose length is estimated" in report
