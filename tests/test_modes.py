"""Modes: the river, ferries and the air on the network and in the supply model, checked by hand on a
small network of the north (tests/data/modes.osm) and on the bundled one."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from siege.errors import SiegeInputError
from siege.network.osm import graph_from_osm_xml
from siege.scenario import scenario_from_dict
from siege.solver.arrays import RoadArrays
from siege.supply import simulate

from .conftest import DATA, run_cli

D = dt.date

# Mopti supplies Tombouctou: by the sand track through Douentza (fastest), by the paved road through
# Léré and the Niafunké ferry, by boat on the Niger (1.5 trucks a day: COMANAV's boats), and by air
# (the Tombouctou airstrip lands 2 t a day).
BASE = """
name = "modes"
network = "modes.osm"
start = 2025-09-01
end = 2025-09-10
[[supply]]
place = "Mopti"
capacity = 1000
[towns]
names = ["Tombouctou"]
[demand.food]
Tombouctou = 4
[demand.fuel]
Tombouctou = 1
[[supply_chain]]
commodity = "food"
town = "Tombouctou"
role = "retail"
supplied_by = "supply_points"
"""
ROADS_CUT = """
[[events]]
kind = "control_zone"
towns = ["Tombouctou"]
radius_km = 20
effect = "close"
start = 2025-09-02
"""
RIVER_ATTACKED = """
[[events]]
kind = "attack"
between = ["Mopti", "Tombouctou"]
mode = "river"
start = 2025-09-05
effect = "close"
"""
LOW_WATER = """
[[events]]
kind = "season"
mode = "river"
from = "Mopti"
to = "Tombouctou"
months = ["01-16", "09-04"]
"""
AIRLIFT = """
[[events]]
kind = "convoy"
mode = "air"
from = "Mopti"
to = "Tombouctou"
tonnes = 6
commodity = "food"
date = 2025-09-06
"""


def scenario(extra: str = ""):
    return scenario_from_dict(tomllib.loads(BASE + extra), where="modes", base=DATA)


def day(result, commodity: str, when: dt.date, column: str):
    rows = result.town("Tombouctou", commodity)
    return rows[rows["date"] == when][column].iloc[0]


def inflow(result, when: dt.date) -> float:
    return day(result, "food", when, "inflow") + day(result, "fuel", when, "inflow")


def lane_modes(s, result, commodity: str) -> list[set[str]]:
    arrays = RoadArrays.from_graph(s.G)
    return [set(arrays.mode[list(r.edges)]) for r in result.routes[("Tombouctou", commodity)] if r.trucks > 1e-9]


def test_an_osm_extract_gives_river_ferry_and_air_legs():
    G = graph_from_osm_xml(DATA / "modes.osm")
    by_mode: dict[str, list] = {}
    for u, v, d in G.edges(data=True):
        by_mode.setdefault(d["mode"], []).append((u, v, d))
    assert set(by_mode) == {"road", "ferry", "river", "air"}
    # the Niger (boat=yes) with a port at each town within 3 km of it; the untagged creek is dropped
    river_names = {d.get("name") for _, _, d in by_mode["river"]}
    assert "a creek no boat is tagged on" not in {d.get("name") for _, _, d in G.edges(data=True)}
    assert G.graph["river_ports"] == 2 and {"port of Mopti", "port of Tombouctou", "Niger"} <= river_names
    # boats: 14 km/h for 20 h a day counted in 5-hour driving days (288.6 km: 5.15 hours of driving)
    reach = max(by_mode["river"], key=lambda e: e[2]["length"])[2]
    assert reach["speed_kph"] == 14 and reach["travel_time"] / 3600 == pytest.approx(reach["length"] / 1000 / 14 / 4)
    assert reach["capacity"] == pytest.approx(1.5)
    # the ferry waits two hours besides its crossing at 5 km/h
    ferry = by_mode["ferry"][0][2]
    assert ferry["travel_time"] / 3600 == pytest.approx(ferry["length"] / 1000 / 5 + 2)
    # one air leg each way between the hub (Mopti, international) and the airstrip: 2 t a day
    assert len(by_mode["air"]) == 2 and all(d["payload_t"] == 2 for _, _, d in by_mode["air"])
    assert {G.nodes[n].get("airport") for n in G.nodes} >= {"Mopti Ambodédjo", "Tombouctou"}


def test_trucks_never_fly_and_the_normal_day_takes_the_fastest_road():
    s = scenario()
    arrays = RoadArrays.from_graph(s.G)
    assert arrays.closed[arrays.mode == "air"].all() and not arrays.closed[arrays.mode != "air"].any()
    normal = simulate(s)
    assert day(normal, "food", D(2025, 9, 1), "inflow") == pytest.approx(4.0)
    # the sand track carries the day; the boats, when they take a share, at most their 1.5 trucks
    arrays = RoadArrays.from_graph(s.G)
    by_road = by_boat = 0.0
    for commodity in ("food", "fuel"):
        for r in normal.routes[("Tombouctou", commodity)]:
            if "river" in set(arrays.mode[list(r.edges)]):
                by_boat += r.trucks
            else:
                by_road += r.trucks
    assert by_road + by_boat == pytest.approx(5.0) and by_boat <= 1.5 + 1e-9 and by_road >= 3.5 - 1e-9


def test_with_the_roads_cut_the_boats_bring_what_they_carry():
    """Roads around Tombouctou closed from 2 September: boats bring 1.5 trucks a day, shared by food
    and fuel; the town is short but not cut off."""
    s = scenario(ROADS_CUT)
    cut = simulate(s)
    for d in (3, 4):
        assert inflow(cut, D(2025, 9, d)) == pytest.approx(1.5, abs=1e-6)
    assert day(cut, "fuel", D(2025, 9, 4), "status") != "isolated"
    assert all("river" in m for m in lane_modes(s, cut, "food"))


def test_an_attacked_reach_stops_the_boats():
    cut = simulate(scenario(ROADS_CUT + RIVER_ATTACKED))
    assert inflow(cut, D(2025, 9, 4)) == pytest.approx(1.5, abs=1e-6)
    assert inflow(cut, D(2025, 9, 5)) == pytest.approx(0.0, abs=1e-9)
    assert day(cut, "fuel", D(2025, 9, 5), "status") == "isolated"


def test_at_low_water_the_river_carries_nothing():
    """The reach is closed by its season until 4 September: with the roads cut, nothing comes on the
    3rd and 4th; from the 5th the boats sail again."""
    dry = simulate(scenario(ROADS_CUT + LOW_WATER))
    assert inflow(dry, D(2025, 9, 3)) == pytest.approx(0.0, abs=1e-9)
    assert inflow(dry, D(2025, 9, 4)) == pytest.approx(0.0, abs=1e-9)
    assert inflow(dry, D(2025, 9, 5)) == pytest.approx(1.5, abs=1e-6)


def test_an_airlift_lands_as_pulses_of_the_airports_payload():
    """6 t of food flown on 6 September (one day's flight) into an airstrip that lands 2 t a day: 2 t
    (0.108 trucks of 18.5 t) on each of the 7th, 8th and 9th, on top of the boats' food."""
    base = simulate(scenario(ROADS_CUT + RIVER_ATTACKED))
    lift = simulate(scenario(ROADS_CUT + RIVER_ATTACKED + AIRLIFT))
    for d in (6, 10):
        assert day(lift, "food", D(2025, 9, d), "inflow") == pytest.approx(day(base, "food", D(2025, 9, d), "inflow"))
    for d in (7, 8, 9):
        assert day(lift, "food", D(2025, 9, d), "inflow") - day(base, "food", D(2025, 9, d), "inflow") == (
            pytest.approx(2 / 18.5, abs=1e-3)  # the table's three decimals
        )


def test_a_closed_airport_stops_the_airlift():
    closed = """
[[events]]
kind = "cut"
place = "Tombouctou"
mode = "air"
start = 2025-09-01
"""
    s = scenario(ROADS_CUT + RIVER_ATTACKED + AIRLIFT + closed)
    event = next(e for e in s.events if e.kind == "cut")
    assert event.label == "airport of Tombouctou closed" and len(event.edges) == 2  # its one leg, both ways
    lift = simulate(s)
    assert all(day(lift, "food", D(2025, 9, d), "inflow") == pytest.approx(0.0, abs=1e-9) for d in (7, 8, 9))


def test_the_rains_close_the_sand_track_and_supply_goes_round_by_the_ferry():
    rains = """
[[events]]
kind = "season"
surface = "unpaved"
months = ["06-15", "10-31"]
"""
    s = scenario(rains)
    wet = simulate(s)
    assert day(wet, "food", D(2025, 9, 3), "inflow") == pytest.approx(4.0)
    modes = lane_modes(s, wet, "food")
    assert {"road", "ferry"} in modes or any({"road", "ferry"} <= m for m in modes)
    assert day(wet, "food", D(2025, 9, 3), "status") == "open"  # the west road is within 1.5 × the track's hours


def test_a_ferry_can_be_cut_and_modes_are_checked():
    s = scenario(
        """
[[events]]
kind = "cut"
place = "Niafunké"
mode = "ferry"
"""
    )
    event = s.events[0]
    assert {s.G.edges[k]["mode"] for k in event.edges} == {"ferry"}
    with pytest.raises(SiegeInputError, match=r"events\[0\]\.mode: expected one of road, ferry, river, air"):
        scenario('[[events]]\nkind = "cut"\nplace = "Niafunké"\nmode = "boat"\n')
    with pytest.raises(SiegeInputError, match="acts on towns and takes no mode"):
        scenario('[[events]]\nkind = "rationing"\ndemand_factor = 0.5\nmode = "air"\n')
    chain = tomllib.loads(
        'name = "x"\nnetwork = "chain.osm"\n[[supply]]\nplace = "Siby"\ncapacity = 10\n'
        '[[events]]\nkind = "cut"\nplace = "Bamako"\nmode = "river"\n'
    )
    with pytest.raises(SiegeInputError, match="the network has no river segments"):
        scenario_from_dict(chain, where="chain", base=DATA)


def test_relief_cargo_is_tracked_when_a_scenario_names_it():
    assert [c.name for c in scenario().commodities] == ["fuel", "food"]
    flown = scenario(AIRLIFT.replace('"food"', '"relief"'))
    assert [c.name for c in flown.commodities] == ["fuel", "food", "relief"]
    relief = next(c for c in flown.commodities if c.name == "relief")
    assert relief.tonnes_per_truck == 18.5 and "ASSUMPTION" in relief.basis


@pytest.fixture(scope="module")
def bundled_north():
    text = """
name = "north"
start = 2025-09-01
end = 2025-09-12
[[events]]
kind = "convoy"
mode = "air"
from = "Bamako"
to = "Tombouctou"
tonnes = 40
commodity = "food"
date = 2025-09-02
"""
    return scenario_from_dict(tomllib.loads(text), where="north")


def test_the_bundled_network_carries_the_niger_the_airports_and_the_northern_gateways(bundled_north):
    s = bundled_north
    G = s.G
    modes = {d["mode"] for _, _, d in G.edges(data=True)}
    assert modes == {"road", "river", "air"}
    river_km = sum(d["length"] for _, _, d in G.edges(data=True) if d["mode"] == "river") / 2000
    assert river_km == pytest.approx(1308, abs=1)  # Koulikoro–Gao, shared among the reaches
    names = {p.name for p in s.supply}
    assert {"Timiaouine (DZ)", "Adel Bagrou (MR)", "Fassala (MR)"} <= names
    adel = next(p for p in s.supply if p.name == "Adel Bagrou (MR)")
    assert adel.commodities == frozenset({"food"})
    # the Korioumé ferry is a crossing of the RN39 that can be cut
    ferry = scenario_from_dict(
        tomllib.loads('name = "f"\n[[events]]\nkind = "cut"\nplace = "Tombouctou"\nmode = "ferry"\n'),
        where="f",
    )
    assert {"RN39"} == {r for k in ferry.events[0].edges for r in G.edges[k]["ref"]}


def test_on_the_bundled_network_an_airlift_is_small_beside_the_need(bundled_north):
    """40 t of food from Bamako into Tombouctou (its runway lands 20 t a day): 1.08 trucks on each of
    the two days after the flight, against the 2.4 trucks a day Tombouctou eats: air relief is small."""
    from siege.supply.stocks import convoy_arrivals

    s = bundled_north
    names = [t.name for t in s.on_network]
    arrivals = convoy_arrivals(s, RoadArrays.from_graph(s.G), s.start, s.end, names)
    landed = {d: trucks for d, rows in arrivals.items() for i, _, trucks in rows if names[i] == "Tombouctou"}
    assert landed == {D(2025, 9, 3): pytest.approx(20 / 18.5), D(2025, 9, 4): pytest.approx(20 / 18.5)}
    result = simulate(s)
    need = result.town("Tombouctou", "food")["demand"].iloc[0]
    assert 0.5 * need > 20 / 18.5


def test_network_info_lists_the_other_modes():
    res = run_cli("network", "info")
    assert res.returncode == 0, res.stderr
    assert "other modes: air" in res.stdout and "river 1,308.0 km" in res.stdout and "Tombouctou" in res.stdout


def test_the_boni_scenario_cuts_boni_off_and_the_lifting_refills_it():
    """The bundled northern scenario: while the embargo and the RN16 blockade act Boni has no open road
    and lives on its stock; the day after they end it is supplied again. Gao keeps its Niger corridor."""
    from siege.scenario import load_scenario

    from .conftest import REPO

    s = load_scenario(REPO / "scenarios" / "boni-rn16-2022.toml")
    assert [c.name for c in s.commodities] == ["fuel", "food", "relief"]
    result = simulate(s)
    boni = result.town("Boni")
    during = boni[(boni["date"] >= D(2022, 5, 25)) & (boni["date"] <= D(2022, 8, 28))]
    assert set(during["status"]) == {"isolated"} and during["inflow"].max() == 0
    assert during.groupby("commodity")["short"].any().all()  # every stock runs out in three months
    after = boni[boni["date"] == D(2022, 8, 29)]
    assert not after["short"].any() and set(after["status"]) != {"isolated"}
    gao = result.town("Gao")
    assert not gao["short"].any() and "isolated" not in set(gao["status"])
