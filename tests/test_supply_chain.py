"""Supply chains as data that reroute: checked by hand on a four-place network, and on the bundled one."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from siege.errors import SiegeInputError
from siege.scenario import scenario_from_dict
from siege.supply import simulate

from .conftest import DATA, run_cli

D = dt.date

# chain.osm: gateways Siby and Meguetan; Siby —RN5— Bamako —RN27— Koulikoro —RN99— Meguetan (20 km).
# Bamako is the national depot (stock: 3 days of its area); Koulikoro is fed straight from the gateways
# (its usual one: Meguetan) and falls back first on Bamako's depot, so Bamako stocks for it too.
BASE = """
name = "chain"
network = "chain.osm"
start = 2024-01-01
end = 2024-01-08
capital = "Bamako"
[[supply]]
place = "Siby"
capacity = 1000
[[supply]]
place = "Meguetan"
capacity = 1000
[towns]
names = ["Bamako", "Koulikoro"]
[demand.fuel]
Bamako = 4
Koulikoro = 2
[demand.food]
Bamako = 6
Koulikoro = 3
[[supply_chain]]
commodity = "fuel"
town = "Koulikoro"
supplied_by = "supply_points"
"""
CLOSE_RN99 = """
[[events]]
kind = "blockade"
ref = "RN99"
from = "Meguetan"
to = "Koulikoro"
start = 2024-01-03
end = 2024-01-05
"""


def chain(extra: str = ""):
    return simulate(scenario_from_dict(tomllib.loads(BASE + extra), where="chain", base=DATA))


def fuel(result, town, day, column):
    rows = result.town(town, "fuel")
    return rows[rows["date"] == day][column].iloc[0]


def test_a_town_whose_road_to_its_gateway_is_cut_draws_on_the_depot():
    """RN99 closed 3–5 January: Koulikoro buys its 2 tankers a day at Bamako's depot (not short, at the
    extra hours: degraded); Bamako gives them from its stock and reorders half of what is missing a day.
    By hand (Bamako's stock target 3 × (4 + 2) = 18): 3 Jan 18 − 2 = 16 (2.667 days); 4 Jan it orders
    4 + 1, 16 + 5 − 4 − 2 = 15 (2.5); 5 Jan 4 + 1.5, 14.5 (2.417); 6 Jan, RN99 open, 4 + 1.75: 16.25."""
    normal, cut = chain(), chain(CLOSE_RN99)
    assert normal.routes[("Koulikoro", "fuel")][0].origin == "Meguetan"
    assert normal.chain["Koulikoro"]["fuel"] == "supply points"
    assert fuel(normal, "Bamako", D(2024, 1, 4), "stock_days") == pytest.approx(3.0)
    for day, days in ((3, 16 / 6), (4, 2.5), (5, 14.5 / 6), (6, 16.25 / 6)):
        assert fuel(cut, "Bamako", D(2024, 1, day), "stock_days") == pytest.approx(days, abs=1e-3), day
    for day in (3, 4, 5):
        assert fuel(cut, "Koulikoro", D(2024, 1, day), "inflow") == pytest.approx(2.0)
        assert fuel(cut, "Koulikoro", D(2024, 1, day), "status") == "degraded"  # from Bamako: longer
    assert fuel(cut, "Koulikoro", D(2024, 1, 6), "status") == "open"
    assert not cut.frame["short"].any()
    last_day_of_closure = simulate(cut.scenario, end=D(2024, 1, 5))
    assert last_day_of_closure.routes[("Koulikoro", "fuel")][0].origin == "Bamako depot"


def test_with_its_gateway_and_the_depot_cut_off_a_town_lives_on_its_stock():
    """RN99 and RN27 closed from 3 January: Koulikoro has no road in; its 3 days (6 tankers) last to
    the 5th; short from the 6th, isolated."""
    both = CLOSE_RN99.replace("end = 2024-01-05\n", "") + (
        '[[events]]\nkind = "blockade"\nref = "RN27"\nfrom = "Bamako"\nto = "Koulikoro"\nstart = 2024-01-03\n'
    )
    r = chain(both)
    assert fuel(r, "Koulikoro", D(2024, 1, 5), "stock_days") == pytest.approx(0.0)
    assert not fuel(r, "Koulikoro", D(2024, 1, 5), "short") and fuel(r, "Koulikoro", D(2024, 1, 6), "short")
    assert fuel(r, "Koulikoro", D(2024, 1, 6), "status") == "isolated"
    assert not r.town("Bamako", "fuel")["short"].any()


def test_a_scenario_says_who_supplies_whom():
    """``supplied_by = "Bamako"``: Koulikoro draws on Bamako's depot every day, Bamako orders for both."""
    r = chain('[[supply_chain]]\ncommodity = "fuel"\ntown = "Koulikoro"\nsupplied_by = "Bamako"\n')
    assert r.chain["Koulikoro"]["fuel"] == "Bamako"
    assert r.routes[("Koulikoro", "fuel")][0].origin == "Bamako depot"
    assert fuel(r, "Bamako", D(2024, 1, 2), "inflow") == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("row", "expect"),
    [
        ('town = "Koulikoro"\nsupplied_by = "Siby"', "or another of the scenario's towns"),
        (
            'town = "Bamako"\nrole = "retail"\n[[supply_chain]]\ncommodity = "fuel"\ntown = "Koulikoro"\n'
            'supplied_by = "Bamako"',
            "holds no fuel depot",
        ),
        ('town = "Koulikoro"\nrole = "warehouse"', "expected one of national_depot, regional_depot, retail"),
        ('town = "Koulikoro"\ndepot = "Bamako"', "unknown field"),
    ],
)
def test_a_bad_supply_chain_row_is_one_clear_error(row, expect):
    text = BASE.replace('[[supply_chain]]\ncommodity = "fuel"\ntown = "Koulikoro"\nsupplied_by = "supply_points"\n', "")
    with pytest.raises(SiegeInputError) as err:
        scenario_from_dict(tomllib.loads(text + f'[[supply_chain]]\ncommodity = "fuel"\n{row}\n'), base=DATA)
    assert expect in str(err.value) and "supply_chain" in str(err.value)


def test_a_circle_of_suppliers_is_refused_in_one_line(tmp_path):
    path = tmp_path / "circle.toml"
    path.write_text(
        BASE.replace('network = "chain.osm"', f'network = "{DATA / "chain.osm"}"')
        + '[[supply_chain]]\ncommodity = "food"\ntown = "Koulikoro"\nrole = "regional_depot"\nsupplied_by = "Bamako"\n'
        + '[[supply_chain]]\ncommodity = "food"\ntown = "Bamako"\nsupplied_by = "Koulikoro"\n',
        encoding="utf-8",
    )
    res = run_cli("run", path, "--out", tmp_path / "out")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "circle" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_the_bundled_chain_follows_the_distribution_facts(mali):
    """Fuel: stations fed by importers' tankers straight from the gateways (Kolondiéba and Sikasso from
    Abidjan, on the RN30 and RN7 they stand on), Kayes' depot not working, Bamako's depot stocking for
    the country; food through the OPAM stores (distribution.csv)."""
    text = 'name = "normal day"\nstart = 2025-01-01\nend = 2025-01-02\n'
    r = simulate(scenario_from_dict(tomllib.loads(text), network=mali))
    for town in ("Kolondiéba", "Sikasso", "Kayes", "Ségou"):
        assert r.chain[town]["fuel"] == "supply points", town
    bamako = {n for n, name in r.scenario.G.nodes(data="name") if name == "Bamako"}
    for town in ("Kolondiéba", "Sikasso"):
        lanes = r.routes[(town, "fuel")]
        # its busiest lane starts at a gateway (which one among equal answers is the corridor shares'),
        # and Abidjan's tankers reach it on their road, not by Bamako and back
        assert not lanes[0].origin.endswith(" depot") and lanes[0].trucks > 0, town
        abidjan = [ln for ln in lanes if ln.origin == "Abidjan (CI)"]
        assert abidjan and not bamako & _nodes_of(r, abidjan[0]), town
    assert r.chain["Bamako"]["fuel"] == "Bamako"
    assert r.chain["Ségou"]["food"] == "Ségou" and r.chain["Bafoulabé"]["food"] == "Kayes"
    national = r.frame[(r.frame["commodity"] == "fuel") & (r.frame["date"] == D(2025, 1, 1))]["demand"].sum()
    bamako = r.town("Bamako", "fuel").iloc[0]
    # 3 days of the country's demand, expressed in days of it
    assert bamako["stock_days"] == pytest.approx(3.0) and national == pytest.approx(120, rel=0.05)


def _nodes_of(result, lane) -> set:
    """The graph nodes a lane passes."""
    from siege.solver.arrays import RoadArrays

    arrays = RoadArrays.from_graph(result.scenario.G)
    return {arrays.nodes[int(arrays.dst[e])] for e in lane.edges}


def test_hours_from_imports_count_the_import_points_that_carry_the_towns_commodity():
    # Meguetan, 20 km from Koulikoro, takes in food only (as Adel Bagrou, the food post by Nara): Koulikoro's
    # fuel comes from Siby, through Bamako, and so must its hours from imports and its cut-off — not
    # the 20 km from a post that never lets a tanker in
    from siege.analyses.isolation import run

    def koulikoro_and_bamako(text):
        towns = run(scenario_from_dict(tomllib.loads("date = 2024-01-02\n" + text), where="chain", base=DATA)).towns
        return next(t for t in towns if t.town == "Koulikoro"), next(t for t in towns if t.town == "Bamako")

    food_post = BASE.replace(
        'place = "Meguetan"\ncapacity = 1000', 'place = "Meguetan"\ncapacity = 1000\ncommodities = ["food"]'
    )
    assert food_post != BASE
    koulikoro, bamako = koulikoro_and_bamako(food_post)
    near, _ = koulikoro_and_bamako(BASE)
    assert koulikoro.commodity == "fuel" and koulikoro.supplied_from == "Siby"
    # Siby → Bamako → Koulikoro: farther than Bamako, which is farther than Meguetan from Koulikoro
    assert koulikoro.hours_from_imports > bamako.hours_from_imports > near.hours_from_imports
    assert not koulikoro.cut_off_from_imports
    # with the road from Bamako cut, Koulikoro is cut off from fuel imports though Meguetan is open
    alone, _ = koulikoro_and_bamako(food_post + CUT_RN27)
    assert alone.cut_off_from_imports and alone.hours_from_imports is None
    assert not koulikoro_and_bamako(BASE + CUT_RN27)[0].cut_off_from_imports  # fuel through Meguetan


CUT_RN27 = """
[[events]]
kind = "blockade"
ref = "RN27"
from = "Bamako"
to = "Koulikoro"
"""


def test_criticality_counts_a_town_cut_from_one_commoditys_imports():
    # Koulikoro: fuel only through Bamako when Meguetan takes in food alone, so the RN27 cuts it off
    # (as the RN4 does Nara, beside the food post of Adel Bagrou); with fuel at Meguetan too, it does not
    from siege.analyses.criticality import scenario_criticality

    def rn27(text, k=1):
        report = scenario_criticality(
            scenario_from_dict(tomllib.loads("date = 2024-01-02\n" + text), where="chain", base=DATA), k=k, supply_top=0
        )
        return next(r for r in report.rows() if r["ref"] == "RN27"), report

    food_post = BASE.replace(
        'place = "Meguetan"\ncapacity = 1000', 'place = "Meguetan"\ncapacity = 1000\ncommodities = ["food"]'
    )
    row, report = rn27(food_post, k=2)
    assert row["towns_isolated"] == "Koulikoro (fuel)"
    both, _ = rn27(BASE)
    assert both["towns_isolated"] == ""
    # supply lost counts the fuel that no longer gets through; the worst pairs of segments see it too
    assert row["demand_lost_trucks_per_day"] > both["demand_lost_trucks_per_day"]
    assert any(report.towns.index("Koulikoro") in towns for _, _, towns in report.result.worst_sets)
