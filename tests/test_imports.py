"""Planners' files in: an ACLED export and a road-status layer become scenarios siege validate accepts."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import tomllib

import pytest

from siege.scenario import load_scenario

from .conftest import DATA
from .test_hostile_inputs import assert_clean_failure, cli

ACLED = DATA / "acled_layout_mali_2025.csv"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def acled_import(tmp_path_factory):
    out = tmp_path_factory.mktemp("acled") / "acled.toml"
    before = _sha(ACLED)
    code, stdout, stderr, escaped = cli("import", "acled", ACLED, "--out", out)
    assert escaped is None and code == 0, stderr
    assert _sha(ACLED) == before  # the export is never modified
    return out, stdout


def test_an_acled_export_becomes_a_scenario_that_validates(acled_import):
    out, summary = acled_import
    s = load_scenario(out)  # what siege validate runs
    events = [e for e in s.events if e.kind == "attack"]
    raw = tomllib.loads(out.read_text(encoding="utf-8"))["events"]
    rows = {r["event_id_cnty"]: r for r in csv.DictReader(ACLED.open(encoding="utf-8"))}
    # one event per kept row, its source the row's event_id_cnty and its note the row's notes
    assert [e["source"] for e in raw] == [f"ACLED {i}" for i in ("TEST-MLI-01", "TEST-MLI-02", "TEST-MLI-03",
        "TEST-MLI-04", "TEST-MLI-05", "TEST-MLI-06", "TEST-MLI-07", "TEST-MLI-13")]  # fmt: skip
    assert len(events) == 8 and all(e.edges for e in events)
    for e in raw:
        assert rows[e["source"].removeprefix("ACLED ")]["notes"] in e["note"]
    assert "read 13 row(s); kept 8 as events; left out 5" in summary
    for reason in ("area-level location (geo_precision 3): 1", "protests are not attacks on supply: 1",
                   "a government advance, not an attack on supply: 1", "malformed (event_date",
                   "on no road of the network: 1"):  # fmt: skip
        assert reason in summary


def test_acled_rules_radius_dates_and_fuel(acled_import):
    out, _ = acled_import
    by_id = {e["source"]: e for e in tomllib.loads(out.read_text(encoding="utf-8"))["events"]}
    sikasso, didieni = by_id["ACLED TEST-MLI-01"], by_id["ACLED TEST-MLI-02"]
    assert sikasso["radius_km"] == 10.0 and didieni["radius_km"] == 25.0  # geo_precision 1 and 2
    assert sikasso["start"] == dt.date(2025, 9, 6) and sikasso["end"] == dt.date(2025, 10, 5)  # 30 days
    # notes that name tankers (English or French) act on fuel only; a convoy of trucks on everything
    assert sikasso["commodities"] == ["fuel"] and by_id["ACLED TEST-MLI-03"]["commodities"] == ["fuel"]
    assert "commodities" not in by_id["ACLED TEST-MLI-06"] and "commodities" not in didieni
    # a week-precise date starts on its Monday; a month-precise one on the first of the month
    kati, mourdiah = by_id["ACLED TEST-MLI-06"], by_id["ACLED TEST-MLI-07"]
    assert kati["start"] == dt.date(2025, 10, 27) and (kati["end"] - kati["start"]).days + 1 == 36
    assert mourdiah["start"] == dt.date(2025, 10, 1)
    # abductions and looting are a lesser threat than an ambush
    assert kati["effect"] == {"risk": 0.3} and didieni["effect"] == {"risk": 0.5}


def test_acled_filters_actor_dates_types_and_area_level(tmp_path):
    out = tmp_path / "jnim.toml"
    code, stdout, stderr, _ = cli("import", "acled", ACLED, "--out", out, "--actor", "jnim", "--since", "2025-09-10",
                                  "--until", "2025-10-31", "--area-level", "widen", "--types", "Battles")  # fmt: skip
    assert code == 0, stderr
    raw = tomllib.loads(out.read_text(encoding="utf-8"))
    ids = [e["source"] for e in raw["events"]]
    # JNIM battles from 10 Sept to 31 Oct, the area-level clash near Kayes kept with 50 km
    assert ids == ["ACLED TEST-MLI-02", "ACLED TEST-MLI-05", "ACLED TEST-MLI-08"]
    assert raw["events"][-1]["radius_km"] == 50.0
    assert "area-level location widened to 50 km (geo_precision 3): 1" in stdout
    assert "not of the --types asked for" in stdout


def test_a_file_that_is_not_an_acled_export_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("id,date,lat,lon\n1,2025-01-01,12,-8\n", encoding="utf-8")
    out = tmp_path / "s.toml"
    assert_clean_failure(*cli("import", "acled", bad, "--out", out), "other.csv: event_id_cnty", "missing column")
    assert not out.exists()
    nothing = tmp_path / "none.csv"
    nothing.write_text(ACLED.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert_clean_failure(*cli("import", "acled", nothing, "--out", out), "no row became an event")
    assert not out.exists()


ROAD_STATUS = DATA / "road_status_rn4.geojson"


def _pairs(G, edges):
    """Segments as sets of the town names at their ends."""
    return {frozenset((G.nodes[u].get("name"), G.nodes[v].get("name"))) for u, v, _ in edges}


@pytest.fixture(scope="module")
def road_status_import(tmp_path_factory):
    out = tmp_path_factory.mktemp("rs") / "rs.toml"
    before = _sha(ROAD_STATUS)
    code, stdout, stderr, escaped = cli("import", "road-status", ROAD_STATUS, "--out", out)
    assert escaped is None and code == 0, stderr
    assert _sha(ROAD_STATUS) == before
    return out, stdout


def test_a_road_status_layer_becomes_events_on_the_segments_it_draws(road_status_import):
    out, summary = road_status_import
    s = load_scenario(out)
    G = s.G
    by_name = {e.label: e for e in s.events if e.kind != "season"}
    closed, restricted = by_name["RN4 Mourdiah - Nara: Closed"], by_name["RN4 Didieni - Mourdiah: Restricted"]
    # the curving layer lines match the straight segments they follow, not the roads that cross them
    assert _pairs(G, closed.edges) == {frozenset(("Mourdiah", "Nara"))} and len(closed.edges) == 2
    assert _pairs(G, restricted.edges) == {frozenset(("Kwala;Didiéni", "Mourdiah"))}  # one node, two names
    assert closed.effect.closed and restricted.effect.capacity_factor == 0.5 and restricted.effect.delay_factor == 1.5
    assert (closed.start, closed.end) == (dt.date(2024, 2, 1), dt.date(2024, 2, 7))  # a weekly layer
    # obstacles: a destroyed bridge cuts the segment it is on, a checkpoint slows the roads through it
    bridge = by_name["Bridge destroyed at south of Nara"]
    assert bridge.kind == "cut" and _pairs(G, bridge.edges) == {frozenset(("Mourdiah", "Nara"))}
    assert by_name["Checkpoint at Didieni"].effect.delay_factor == 1.5
    assert "read 7 feature(s); kept 4 as events; left out 3" in summary
    for reason in ("open: no event: 1", "obstacle type 'Other' not in the table: 1", "on no road of the network: 1",
                   "'partially open' read as Restricted: 1"):  # fmt: skip
        assert reason in summary


def test_a_closed_road_isolates_nara_and_is_written_back_in_the_layers_words(road_status_import, tmp_path):
    """Nara is reached only by the RN4 north of Mourdiah (and a Mauritanian crossing): closing it cuts
    the town off from Bamako; degradation.geojson then says Closed / Restricted where the layer did,
    and reading that file back as a layer gives the same closed segments."""
    import geopandas as gpd

    from siege.analyses.isolation import run
    from siege.importers.road_status import RoadStatusConfig, import_road_status

    out, _ = road_status_import
    s = load_scenario(out)
    result = run(s, day=dt.date(2024, 2, 5))
    assert result.town("Nara").cut_off_from_capital
    code, _, stderr, _ = cli("run", out, "--out", tmp_path / "run", "--date", "2024-02-05", "--gpkg")
    assert code == 0, stderr
    layer = gpd.read_file(tmp_path / "run" / "degradation.geojson")
    assert set(layer["status"]) <= {"Open", "Restricted", "Closed"}
    roads = layer[layer["mode"] == "road"]  # the river is closed by low water in February
    by_status = {st: set(g["label"]) for st, g in roads.groupby("status")}
    assert by_status["Closed"] == {"RN4 Mourdiah – Nara", "RN4 Nara – Mourdiah"}
    assert "RN4 Kwala/Didiéni – Mourdiah" in by_status["Restricted"]
    # the GeoJSON holds the segments something acts on; the GeoPackage every segment
    full = gpd.read_file(tmp_path / "run" / "degradation.gpkg", layer="segments")
    assert "Open" not in set(layer["status"]) and set(full["status"]) == {"Open", "Restricted", "Closed"}
    assert len(full) == s.G.number_of_edges() > len(layer)
    written = RoadStatusConfig(layer=tmp_path / "run" / "degradation.geojson", date=dt.date(2024, 2, 5))
    back = import_road_status(written, G=s.G)
    from siege.scenario import scenario_from_dict

    rebuilt = scenario_from_dict(back.scenario, network=s.G)
    closed_again = set().union(*(e.edges for e in rebuilt.events if e.kind == "road_status" and e.effect.closed))
    assert _pairs(s.G, closed_again) == {frozenset(("Mourdiah", "Nara"))}


def test_a_road_status_line_on_an_osm_extract_matches_its_own_way_only(tmp_path):
    """On OSM geometry the tolerance is 0.5 km: a line drawn 100 m beside the RN3 primary out of Kati
    takes that road and not the secondary RN5 that leaves from its end."""
    import json

    from siege import load_network
    from siege.importers.road_status import RoadStatusConfig, import_road_status
    from siege.scenario import scenario_from_dict

    G = load_network(DATA / "tiny.osm")
    layer = tmp_path / "kati.geojson"
    line = [[-8.0709, 12.7409], [-8.0509, 12.7609], [-8.0309, 12.7809], [-8.0109, 12.8009]]
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"status": "Closed", "date": "2025-01-06"}, "geometry": {"type": "LineString",
        "coordinates": line}}]}), encoding="utf-8")  # fmt: skip
    config = RoadStatusConfig(layer=layer, network=str(DATA / "tiny.osm"), supply=(("Kati", 100.0),))
    result = import_road_status(config, G=G, out=tmp_path / "s.toml")
    s = scenario_from_dict(result.scenario, network=G)
    (event,) = [e for e in s.events if e.kind == "road_status"]
    refs = {tuple(G.edges[k].get("ref", [])) for k in event.edges}
    assert refs == {("RN3", "RN4")} and event.edges


def test_a_road_status_feature_without_a_date_needs_one(tmp_path):
    import json

    layer = tmp_path / "undated.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"status": "Closed"}, "geometry": {"type": "LineString",
        "coordinates": [[-7.46944, 14.47361], [-7.28985, 15.16931]]}}]}), encoding="utf-8")  # fmt: skip
    out = tmp_path / "s.toml"
    assert_clean_failure(*cli("import", "road-status", layer, "--out", out), "feature 1: date", "--date")
    assert not out.exists()
    code, _, stderr, _ = cli("import", "road-status", layer, "--out", out, "--date", "2025-03-01")
    assert code == 0, stderr


@pytest.mark.parametrize(
    ("command", "content", "expect"),
    [
        ("acled", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("acled", b'event_id_cnty,event_date\n"unclosed,2025', "missing column"),
        ("road-status", b"{not json", "cannot be read"),
        ("road-status", b'{"type": "FeatureCollection", "features": []}', "no feature became an event"),
    ],
    ids=["acled-binary", "acled-columns", "layer-not-json", "layer-empty"],
)
def test_bad_planner_files_are_one_line_and_write_nothing(tmp_path, command, content, expect):
    path = tmp_path / ("in.csv" if command == "acled" else "in.geojson")
    path.write_bytes(content)
    out = tmp_path / "s.toml"
    assert_clean_failure(*cli("import", command, path, "--out", out), str(path.name), expect)
    assert not out.exists() and path.read_bytes() == content


def test_a_bad_supply_option_is_one_line(tmp_path):
    assert_clean_failure(*cli("import", "acled", ACLED, "--out", tmp_path / "s.toml", "--supply", "Kati"), "--supply")
