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
                   "no road of the network within the event's radius: 1"):  # fmt: skip
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
