"""Bundled scenarios end to end, and every kind of bad scenario input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from siege.analyses.isolation import run
from siege.io import OUTPUT_MARKER
from siege.scenario import compose, degrade, load_scenario
from siege.scenario.effects import Effect

from .conftest import REPO, run_cli

SCENARIOS = REPO / "scenarios"


@pytest.fixture(scope="module")
def nara():
    return run(SCENARIOS / "nara-rn4-2024.toml")


@pytest.fixture(scope="module")
def fuel():
    # a day of the blockade between two convoys' pulses (the timeline's state on that day)
    return run(SCENARIOS / "bamako-fuel-blockade-2025.toml", day=dt.date(2025, 10, 20))


def test_baseline_every_town_open():
    result = run(SCENARIOS / "baseline.toml")
    assert len(result.towns) >= 35
    assert {t.status for t in result.towns} == {"open"}
    assert all(t.served_fraction == pytest.approx(1.0, abs=1e-3) for t in result.towns)
    assert all(t.route_survival == 1.0 and not t.cut_off_from_imports for t in result.towns)
    assert result.changed == []


def test_nara_is_besieged_and_bamako_open(nara):
    n, b = nara.town("Nara"), nara.town("Bamako")
    # Nara's only road is the RN4: an ambush (risk 0.6), the Kwala attack (0.4) and the zone (0.3)
    # leave a convoy 0.4 × 0.6 × 0.7 × 0.7 ≈ 12 % — well under the besieged threshold of 50 %
    assert n.status in ("besieged", "isolated")
    assert n.route_survival < 0.5
    assert n.baseline_status == "open"
    assert any("RN4" in c for c in n.chokepoints)
    # its nearest way out is now the Mauritanian crossing (50 km), which the RN4 ambushes do not slow
    assert n.travel_time_ratio >= 1.0
    assert b.status == "open" and b.served_fraction == pytest.approx(1.0, abs=1e-3) and b.route_survival == 1.0
    assert [t.town for t in nara.changed] == ["Nara"]


def test_fuel_blockade_drops_bamakos_served_fraction(fuel):
    b = fuel.town("Bamako")
    assert b.baseline_status == "open"
    assert b.served_fraction < 0.95  # 1.0 in the baseline: the worst commodity (fuel) of the supply model
    assert b.commodity == "fuel" and b.throughput < b.demand  # fuel short, food flowing
    assert b.status in ("degraded", "besieged")
    assert not b.cut_off_from_imports  # squeezed, not cut off: the RN6 from the east stays open
    # the corridors named in the scenario are among the segments that decide Bamako's supply
    assert any(c.startswith(("RN3", "RN24", "RN7", "RN5")) for c in b.chokepoints)


def test_routes_and_chokepoints_follow_the_supply_chain(fuel):
    """Bamako draws fuel on its usual corridors, not on Tema through Burkina Faso; a town's chokepoints
    lie between it and where its supply comes from, never at the other end of the country."""
    b = fuel.town("Bamako")
    assert b.supplied_from in {"Dakar (SN)", "Abidjan (CI)", "Conakry (GN)"}
    # the Gao–Niger corridor (Ansongo, Gao, Hombori, Ménaka) feeds the east, not Bamako or Ségou
    east = ("Gao", "Ansongo", "Hombori", "Ménaka", "Ayorou")
    # (San's stations, fed straight from the gateways, take a share from Niamey by Sévaré: the corridor
    # shares leave the undocumented gateways to fill the rest, so its lanes may cross the east)
    for name in ("Bamako", "Ségou"):
        assert not [c for c in fuel.town(name).chokepoints if any(e in c for e in east)], name
    # Kita's stations are fed by importers' tankers straight from Dakar (the bundled chain), and when
    # that fails by the depot or further gateways: its route starts where its supply comes from
    assert run(SCENARIOS / "baseline.toml", with_chokepoints=False).town("Kita").supplied_from == "Dakar (SN)"
    kita = fuel.town("Kita")
    assert kita.supplied_from.endswith(" depot") or kita.supplied_from.endswith(("(SN)", "(MR)", "(GN)"))
    assert kita.route[0] == kita.supplied_from.removesuffix(" depot") and kita.route[-1] == "Kita"
    assert kita.chokepoints
    # every town's chokepoints come nearest the town first, each with its distance from it; Bla's
    # lanes (from Tema by Koutiala, from Dakar by Ségou) reach it apart: its two roads in, not the RN3
    for t in fuel.towns:
        assert len(t.chokepoint_km) == len(t.chokepoints) and t.chokepoint_km == sorted(t.chokepoint_km), t.town
    bla = fuel.town("Bla")
    assert bla.chokepoint_km and max(bla.chokepoint_km) < 1 and all("Bla" in c for c in bla.chokepoints)
    # the road flows written to degradation.geojson are that day's deliveries
    assert sum(fuel.edge_flow.values()) > 0


def test_snowball_isolates_banamba():
    result = run(SCENARIOS / "rn3-rn7-snowball.toml")
    banamba = result.town("Banamba")
    assert banamba.status == "isolated" and banamba.cut_off_from_imports and banamba.cut_off_from_capital
    assert banamba.served_fraction == 0
    assert result.town("Kolokani").status != "open"


def test_events_outside_their_window_do_nothing():
    scenario = load_scenario(SCENARIOS / "nara-rn4-2024.toml")
    import datetime as dt

    scenario_events = [e for e in scenario.events if e.kind != "season"]  # the calendar acts every year
    assert len(degrade(scenario_events, dt.date(2023, 6, 1))) == 0
    assert len(degrade(scenario_events, scenario.date)) > 0
    early = run(scenario, day=dt.date(2023, 6, 1))
    assert early.town("Nara").status == "open"


def test_effect_composition():
    e = compose([Effect(capacity_factor=0.5, risk=0.2), Effect(capacity_factor=0.5, delay_factor=2, risk=0.5)])
    assert e.capacity_factor == 0.25 and e.delay_factor == 2 and e.risk == pytest.approx(0.6)
    assert not e.closed
    assert compose([Effect(risk=0.1), Effect(closed=True)]).closed
    assert compose([Effect(risk=1.0)]).closed


def test_run_cli_writes_every_output(tmp_path):
    out = tmp_path / "nara"
    res = run_cli("run", SCENARIOS / "nara-rn4-2024.toml", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Nara" in res.stdout and "besieged" in res.stdout
    names = {p.name for p in out.iterdir()}
    assert {
        "results.csv",
        "results.geojson",
        "routes.geojson",
        "degradation.geojson",
        "report.md",
        "report.json",
    } <= names
    assert [n for n in names if n.startswith(".")] == [OUTPUT_MARKER]  # no staging leftovers
    report = json.loads((out / "report.json").read_text())
    assert report["network"]["schematic"] is True
    assert {"town": "Nara", "baseline": "open", "scenario": "besieged"} in report["changed_vs_baseline"]
    md = (out / "report.md").read_text()
    assert "Schematic network" in md and "understandingwar.org" in md
    import geopandas as gpd

    deg = gpd.read_file(out / "degradation.geojson")
    assert set(deg["state"]) == {"degraded", "closed"}  # the segments something acts on
    assert deg.loc[deg["state"] == "degraded", "events"].str.contains("Kwala").any()
    # in March nothing is closed but the river, by its low water
    assert deg.loc[deg["state"] == "closed", "events"].str.contains("low water").all()


def test_run_cli_json_to_stdout():
    res = run_cli("run", SCENARIOS / "baseline.toml", "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["status_counts"]["open"] == len(data["results"])


def test_validate_cli():
    res = run_cli("validate", SCENARIOS / "bamako-fuel-blockade-2025.toml")
    assert res.returncode == 0 and "ok" in res.stdout and "event #8" in res.stdout


GOOD = """
name = "test"
date = 2024-03-07
[[events]]
kind = "blockade"
ref = "RN4"
from = "Kwala"
to = "Nara"
"""


def _scenario(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text,expect",
    [
        (GOOD.replace('to = "Nara"', 'to = "Narra"'), "events[0].from: 'Narra': unknown place"),
        (GOOD.replace('ref = "RN4"', 'ref = "RN99"'), "no road 'RN99'"),
        (GOOD.replace('ref = "RN4"', 'ref = "RN7"'), "Kwala is not on RN7"),
        (GOOD.replace('kind = "blockade"', 'kind = "seige"'), "events[0].kind: unknown event kind 'seige'"),
        (GOOD + "radius = 5\n", "events[0].radius: unknown field"),
        (GOOD + 'start = "2024-13-01"\n', "events[0].start: expected a date"),
        (GOOD + "start = 2024-03-01\nend = 2024-02-01\n", "events[0].end: ends (2024-02-01) before it starts"),
        (
            GOOD + "effect = { capacity_factor = 1.5 }\n",
            "events[0].effect.capacity_factor: expected a number from 0 to 1",
        ),
        (GOOD + "effect = { risk = -0.1 }\n", "events[0].effect.risk: expected a probability"),
        (GOOD + "effect = { delay_factor = 0.5 }\n", "events[0].effect.delay_factor"),
        (GOOD + "effect = { speed = 2 }\n", "events[0].effect.speed: unknown effect field"),
        (GOOD + 'effect = "open"\n', 'expected "close" or a table'),
        ('name = "x"\n[[events]]\nkind = "attack"\nlat = 48.85\nlon = 2.35\n', "outside the network's extent"),
        ('name = "x"\n[[events]]\nkind = "cut"\nplace = "Bamako"\nbridge = true\nmax_distance_km = 5\n', "no bridge"),
        ('name = "x"\ndate = "yesterday"\n', "date: expected a date"),
        ('name = "x"\nnmae = "typo"\n', "nmae: unknown field"),
        ('name = "x"\n[[supply]]\nplace = "Dakar"\ncapacity = -3\n', "supply[0].capacity"),
        ('name = "x"\n[towns]\nnames = ["Bamako", "Tombuktu"]\n', "'Tombuktu': unknown place"),
        ('name = "x"\n[thresholds]\nbesieged_below = 0.4\n', "thresholds.besieged_below: unknown threshold"),
        ('name = "x"\n[[events]\nkind = "attack"\n', "malformed TOML"),
        ('description = "no name"\n', "name: expected text"),
    ],
)
def test_bad_scenario_is_one_clear_line(tmp_path, text, expect):
    path = _scenario(tmp_path, text)
    out = tmp_path / "out"
    for args in (("validate", path), ("run", path, "--out", out)):
        res = run_cli(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in res.stderr, lines
        assert str(path) in lines[0] and expect in lines[0], lines[0]
    assert not out.exists()  # nothing written


def test_unknown_town_suggests_close_matches(tmp_path):
    res = run_cli("validate", _scenario(tmp_path, GOOD.replace('to = "Nara"', 'to = "Narra"')))
    assert "did you mean 'Nara'" in res.stderr


def test_output_folder_that_is_a_file(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    res = run_cli("run", SCENARIOS / "baseline.toml", "--out", blocker)
    assert res.returncode == 2 and "is a file (expected an output folder)" in res.stderr
    assert blocker.read_text() == "not a folder"
    res = run_cli("run", SCENARIOS / "baseline.toml", "--out", blocker / "sub")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_missing_scenario_file(tmp_path):
    res = run_cli("run", tmp_path / "nope.toml", "--out", tmp_path / "o")
    assert res.returncode == 2 and "no such file" in res.stderr


def test_scenario_inputs_are_not_modified(tmp_path):
    src = SCENARIOS / "nara-rn4-2024.toml"
    before = src.read_bytes()
    run_cli("run", src, "--out", tmp_path / "o")
    assert src.read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_the_table_and_the_timeline_give_one_answer_for_the_day(path):
    """Every bundled scenario: each town's status and served fraction in run's table are those of the
    timeline on the evaluation day (a period), or of the steady day (no period), and the report says which."""
    from siege.supply import simulate, supply_on

    scenario = load_scenario(path)
    result = run(scenario, with_chokepoints=False)
    if scenario.start is not None and scenario.end is not None:
        frame = simulate(scenario).frame
        frame = frame[frame["date"] == result.day]
        assert "timeline" in result.basis
    else:
        frame = supply_on(scenario, result.day).frame
        assert "steady day" in result.basis
    from siege.solver.status import severity

    for town in result.towns:
        rows = frame[frame["town"] == town.town]
        assert town.status == max(rows["status"], key=severity), town.town
        worst = rows.iloc[int(rows["served_fraction"].to_numpy().argmin())]
        assert town.served_fraction == pytest.approx(float(worst["served_fraction"]), abs=1e-4), town.town
        assert town.commodity == worst["commodity"] and town.demand == pytest.approx(float(worst["demand"]), abs=0.01)
