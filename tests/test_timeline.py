"""The siege through time: stock arithmetic checked by hand, and the fuel blockade of Bamako."""

from __future__ import annotations

import datetime as dt

import pytest

from siege.scenario import load_scenario
from siege.supply import simulate

from .conftest import DATA, REPO, run_cli

D = dt.date


# ---- the supply model, mechanism by mechanism, on a four-town network checked by hand -------------
# depot.osm: Siby (supply point) —RN5— Bamako — Koulikoro, and Siby — Kati. Bamako is the national
# depot and draws on Siby; Koulikoro, a regional depot whose supply route runs through the capital,
# draws on Bamako. Bamako orders for both: 4 + 2 tankers of fuel, 6 + 3 trucks of food a day.

BASE = """
name = "mechanism"
network = "depot.osm"
start = 2024-01-01
end = 2024-01-12
[[supply]]
place = "Siby"
capacity = 1000
[towns]
names = ["Bamako", "Koulikoro"]
[demand.fuel]
Bamako = 4
Koulikoro = 2
[demand.food]
Bamako = 6
Koulikoro = 3
"""


def mechanism(extra: str = "", **kwargs):
    import tomllib

    from siege.scenario import scenario_from_dict

    raw = tomllib.loads(BASE + extra)
    return simulate(scenario_from_dict(raw, where="mechanism", base=DATA), **kwargs)


def value(result, town, commodity, day, column):
    rows = result.town(town, commodity)
    return rows[rows["date"] == day][column].iloc[0]


#: timeline.csv's columns as issue 10 and the README document them
DOCUMENTED_COLUMNS = [
    "date",
    "town",
    "commodity",
    "demand",
    "inflow",
    "served_fraction",
    "stock_days",
    "reserve_days",
    "short",
    "status",
]


def test_long_form_timeline_has_exactly_the_documented_columns():
    result = mechanism()
    assert list(result.frame.columns) == DOCUMENTED_COLUMNS
    assert len(result.frame) == 12 * 2 * 2  # days × towns × commodities
    # no events: every order is met, stocks stay full, nobody is short
    assert not result.frame["short"].any() and set(result.frame["status"]) == {"open"}
    assert value(result, "Bamako", "fuel", D(2024, 1, 5), "inflow") == pytest.approx(6.0)  # for itself and Koulikoro
    assert value(result, "Koulikoro", "fuel", D(2024, 1, 5), "inflow") == pytest.approx(2.0)
    assert value(result, "Bamako", "fuel", D(2024, 1, 5), "stock_days") == pytest.approx(3.0)  # national depot
    assert result.chain == {
        "Bamako": {"fuel": "Bamako", "food": "Bamako"},
        "Koulikoro": {"fuel": "Bamako", "food": "Bamako"},
    }


def test_a_fuel_blockade_leaves_food_flowing():
    result = mechanism(
        '[[events]]\nkind = "blockade"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-03\n'
        'commodities = ["fuel"]\n'
    )
    day = D(2024, 1, 5)
    assert value(result, "Bamako", "fuel", day, "inflow") == 0.0
    assert value(result, "Bamako", "fuel", day, "status") == "isolated"
    assert value(result, "Bamako", "food", day, "inflow") == pytest.approx(9.0)
    assert value(result, "Bamako", "food", day, "status") == "open"
    assert not result.town("Bamako", "food")["short"].any() and not result.town("Koulikoro", "food")["short"].any()
    # fuel: Bamako holds 3 days of its area's 6 tankers (18) and serves itself first: 4 + 2 a day from
    # 3 January leaves 12, 6, 0: on 6 January it can spare nothing for Koulikoro, whose own 5 days
    # (10 tankers) then last to 10 January; Bamako's 4 are gone too
    assert result.summary_of("Bamako", "fuel")["stockout_date"] == D(2024, 1, 6)
    assert value(result, "Koulikoro", "fuel", D(2024, 1, 6), "inflow") == 0.0


def test_a_town_blockade_bites_a_two_truck_demand():
    result = mechanism(
        '[[events]]\nkind = "town_blockade"\nplace = "Koulikoro"\ncommodities = ["fuel"]\nstart = 2024-01-01\n'
    )
    # Koulikoro needs 2 tankers a day; a regional depot holds 5 days (10 tankers): short on day 6
    assert (result.town("Koulikoro", "fuel")["inflow"] == 0).all()
    assert result.summary_of("Koulikoro", "fuel")["stockout_date"] == D(2024, 1, 6)
    assert not result.town("Bamako", "fuel")["short"].any()  # the blockade is of Koulikoro only


def test_a_convoy_arrives_after_its_travel_time_as_a_pulse():
    result = mechanism(
        '[[events]]\nkind = "convoy"\nfrom = "Siby"\nto = "Bamako"\ndate = 2024-01-04\ntrucks = 10\n'
        'commodity = "fuel"\n'
    )
    from siege import settings

    hours = result.scenario.G  # Siby–Bamako: under one day of driving at CONVOY_DRIVING_HOURS_PER_DAY
    assert hours is not None and settings.CONVOY_DRIVING_HOURS_PER_DAY >= 1
    inflow = result.town("Bamako", "fuel").set_index("date")["inflow"]
    assert inflow[D(2024, 1, 4)] == pytest.approx(6.0)  # leaves on the 4th
    assert inflow[D(2024, 1, 5)] == pytest.approx(16.0)  # arrives the next day: 6 regular + 10
    stock = result.town("Bamako", "fuel").set_index("date")["stock_days"]
    assert stock[D(2024, 1, 5)] == pytest.approx(3.0 + 10 / 6, abs=1e-3)  # in days of its area's 6 tankers
    # overstocked, Bamako orders less until it is back at its 3-day target
    assert inflow[D(2024, 1, 6)] == pytest.approx(0.0) and stock[D(2024, 1, 12)] == pytest.approx(3.0)


def test_a_convoy_in_tonnes_is_that_many_trucks_of_its_commodity():
    """37 t of food in 18.5 t trucks (commodities.csv) is the 2-truck pulse of a convoy of 2 trucks."""
    convoy = '[[events]]\nkind = "convoy"\nfrom = "Siby"\nto = "Bamako"\ndate = 2024-01-04\ncommodity = "food"\n'
    by_tonnes, by_trucks = mechanism(convoy + "tonnes = 37\n"), mechanism(convoy + "trucks = 2\n")
    a = by_tonnes.town("Bamako", "food")["inflow"].to_numpy()
    assert a == pytest.approx(by_trucks.town("Bamako", "food")["inflow"].to_numpy())
    assert a[4] == pytest.approx(9.0 + 2.0)  # 5 January: Bamako's and Koulikoro's 9 a day, and the pulse
    assert "37 t of food" in by_tonnes.scenario.events[0].label
    from siege.errors import SiegeInputError

    for extra, expect in (("tonnes = 37\ntrucks = 2\n", "either trucks or tonnes"), ("", "either trucks or tonnes")):
        with pytest.raises(SiegeInputError, match=expect):
            mechanism(convoy + extra)


def test_a_priority_policy_serves_the_capital_first(mali):
    import tomllib

    from siege.scenario import scenario_from_dict

    # Bamako and Kayes both draw on Dakar, which may send only 5 tankers a day for orders of 4 + 4
    text = (
        'name = "priority"\nstart = 2024-01-01\nend = 2024-01-05\nreplace_default_supply = true\n'
        '[[supply]]\nplace = "Dakar (SN)"\n'
        'capacity = 700\nby_commodity = { fuel = 5 }\n[towns]\nnames = ["Bamako", "Kayes"]\n'
        "[demand.fuel]\nBamako = 4\nKayes = 4\n"
        # Kayes holds its own depot: no national depot to fall back on, the policy alone decides
        '[[supply_chain]]\ncommodity = "fuel"\ntown = "Kayes"\nrole = "regional_depot"\nsupplied_by = "supply_points"\n'
    )
    fair = simulate(scenario_from_dict(tomllib.loads(text), network=mali))
    first = simulate(
        scenario_from_dict(
            tomllib.loads(text + '[allocation]\npolicy = "priority"\npriority = ["Bamako"]\n'), network=mali
        )
    )
    day = D(2024, 1, 1)
    assert value(fair, "Bamako", "fuel", day, "inflow") == pytest.approx(2.5)  # max-min: the same share
    assert value(fair, "Kayes", "fuel", day, "inflow") == pytest.approx(2.5)
    assert value(first, "Bamako", "fuel", day, "inflow") == pytest.approx(4.0)
    assert value(first, "Kayes", "fuel", day, "inflow") == pytest.approx(1.0)
    assert first.summary_of("Bamako", "fuel")["min_stock_days"] == pytest.approx(3.0)  # never drew on its stock
    assert fair.summary_of("Bamako", "fuel")["min_stock_days"] < 3.0


def test_an_escort_lets_trucks_through_a_threat_they_refuse():
    threat = (
        '[[events]]\nkind = "ambush"\nbetween = ["Siby", "Bamako"]\nstart = 2024-01-01\nend = 2024-01-12\n'
        "effect = { risk = 0.6 }\n"
    )
    refused = mechanism(threat)
    # risk 0.6 is above REFUSE_RISK (0.5): no trucker drives; the towns are besieged, not isolated
    assert value(refused, "Bamako", "fuel", D(2024, 1, 2), "inflow") == 0.0
    assert value(refused, "Bamako", "fuel", D(2024, 1, 2), "status") == "besieged"
    escorted = mechanism(
        threat + '[[events]]\nkind = "escort"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-01\n'
        "capacity_trucks_per_day = 50\n"
    )
    # escorted risk 0.6 × 0.5 = 0.3: truckers carry 1 − 0.3/0.5 = 40 % of Bamako's orders (4 + 2)
    assert value(escorted, "Bamako", "fuel", D(2024, 1, 1), "inflow") == pytest.approx(0.4 * 6)


@pytest.mark.parametrize(("capacity", "expected"), [(50, 0.7 * 6), (2, 2 + 0.4 * (6 - 2 / 0.7))])
def test_an_escort_into_a_blockaded_town_lets_its_trucks_in_at_the_escorted_share(capacity, expected):
    """A blockade letting in 40 % reads as a declared threat of risk 0.3 on every truck bound for the
    town; escorted, that is 0.15, so escorted trucks are let in at 1 − 0.15/0.5 = 70 %, up to the
    escort's capacity, and the rest at 40 % of what is left of the quota."""
    ban = (
        '[[events]]\nkind = "town_blockade"\nplace = "Bamako"\ncommodities = ["fuel"]\nstart = 2024-01-01\n'
        "effect = { capacity_factor = 0.4 }\n"
    )
    escort = (
        '[[events]]\nkind = "escort"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-01\n'
        f'commodities = ["fuel"]\ncapacity_trucks_per_day = {capacity}\n'
    )
    day = D(2024, 1, 1)  # stocks full: Bamako orders its own 4 and Koulikoro's 2 tankers
    assert value(mechanism(ban), "Bamako", "fuel", day, "inflow") == pytest.approx(0.4 * 6)
    escorted = mechanism(ban + escort)
    # at 50 a day the escort takes them all: x / 0.7 ≤ 6; at 2 a day, 2 / 0.7 + x / 0.4 ≤ 6
    assert value(escorted, "Bamako", "fuel", day, "inflow") == pytest.approx(expected, abs=1e-3)
    # over the period Bamako runs short later than without the escort, and food never blockaded
    unescorted = mechanism(ban).summary_of("Bamako", "fuel")["stockout_date"]
    later = escorted.summary_of("Bamako", "fuel")["stockout_date"]
    assert later is None or (unescorted is not None and later > unescorted)


ESCORT_ROADS = """
name = "escorted road"
network = "escort.osm"
start = 2024-01-01
end = 2024-01-05
[[supply]]
place = "Siby"
capacity = 1000
[towns]
names = ["Fana"]
[demand.fuel]
Fana = 10
[[events]]
kind = "blockade"
name = "attacks on the road by Nord"
segments = [["Siby", "Nord"], ["Nord", "Fana"]]
start = 2024-01-01
effect = { risk = 0.4 }
[[events]]
kind = "blockade"
name = "attacks on the road by Sud"
segments = [["Siby", "Sud"]]
start = 2024-01-01
effect = { risk = 0.3 }
"""


def test_trucks_take_the_escorted_road_when_escorted_it_is_the_safer():
    """escort.osm: two roads from Siby to Fana. By Nord one attack of risk 0.4 (over both its
    segments, met once: truckers carry 1 − 0.4/0.5 = 20 %), by Sud one of 0.3 (40 %): trucks go by Sud.
    Escorted, the road by Nord is 0.4 × 0.5 = 0.2 (60 %): the escort draws Fana's trucks onto it, as
    convoys join an escort, so Fana receives 60 % of its 10 trucks, not the 40 % of the road by Sud."""
    import tomllib

    from siege.scenario import scenario_from_dict

    def fana(extra: str = ""):
        raw = tomllib.loads(ESCORT_ROADS + extra)
        result = simulate(scenario_from_dict(raw, where="escorted road", base=DATA))
        return value(result, "Fana", "fuel", D(2024, 1, 1), "inflow")  # stocks full: it orders its day

    assert fana() == pytest.approx(4.0)
    escort = (
        '[[events]]\nkind = "escort"\nsegments = [["Siby", "Nord"], ["Nord", "Fana"]]\nstart = 2024-01-01\n'
        'commodities = ["fuel"]\ncapacity_trucks_per_day = {}\n'
    )
    assert fana(escort.format(50)) == pytest.approx(6.0)
    # an escort of 3 trucks a day: 3 escorted (3 / 0.6 of the orders' willingness), the rest by Sud at 40 %
    assert fana(escort.format(3)) == pytest.approx(3 + 0.4 * (10 - 3 / 0.6), abs=1e-3)


def test_an_escort_does_not_open_a_closed_town():
    closed = '[[events]]\nkind = "town_blockade"\nplace = "Bamako"\ncommodities = ["fuel"]\nstart = 2024-01-01\n'
    escort = (
        '[[events]]\nkind = "escort"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-01\n'
        "capacity_trucks_per_day = 50\n"
    )
    result = mechanism(closed + escort)
    assert (result.town("Bamako", "fuel")["inflow"] == 0).all()  # only convoys (pulses) enter a closed town
    assert (result.town("Bamako", "food")["inflow"] > 0).all()


def test_rationing_cuts_demand():
    result = mechanism(
        '[[events]]\nkind = "rationing"\ndemand_factor = 0.5\ncommodities = ["fuel"]\nstart = 2024-01-01\n'
    )
    assert value(result, "Bamako", "fuel", D(2024, 1, 2), "demand") == pytest.approx(2.0)
    assert value(result, "Bamako", "food", D(2024, 1, 2), "demand") == pytest.approx(6.0)


def test_one_attack_on_many_segments_counts_its_risk_once(mali):
    import tomllib

    from siege.scenario import scenario_from_dict

    raw = tomllib.loads(
        'name = "once"\nstart = 2024-01-01\nend = 2024-01-03\n[towns]\nnames = ["Bamako", "Nara"]\n'
        '[[events]]\nkind = "ambush"\nbetween = ["Kati", "Nara"]\nstart = 2024-01-01\nend = 2024-01-03\n'
        "effect = { risk = 0.25 }\n"
        # Nara's other way out, the Mauritanian crossing at Adel Bagrou, shut: the RN4 is its only road
        '[[events]]\nkind = "blockade"\nsegments = [["Nara", "Adel Bagrou (MR)"]]\n'
    )
    scenario = scenario_from_dict(raw, network=mali)
    assert len(scenario.events[0].edges) > 4  # the attack covers many segments of Nara's only road
    result = simulate(scenario)
    # counted once: willingness 1 − 0.25/0.5 = 0.5 of Nara's orders (per segment it would be ~0)
    day = D(2024, 1, 1)
    assert value(result, "Nara", "fuel", day, "served_fraction") == pytest.approx(0.5, abs=1e-3)
    assert value(result, "Nara", "food", day, "served_fraction") == pytest.approx(0.5, abs=1e-3)


@pytest.fixture(scope="module")
def blockade():
    return simulate(load_scenario(REPO / "scenarios" / "bamako-fuel-blockade-2025.toml"))


def test_the_fuel_blockade_hits_fuel_not_food_and_spares_the_far_north(blockade):
    bamako = blockade.town("Bamako", "fuel").set_index("date")
    assert bamako.loc[D(2025, 9, 1), "stock_days"] == pytest.approx(3.0)  # ONAP's 3 days
    # squeezed from mid-September to late October but for the escorted convoy of 7 October (a pulse)
    window = bamako.loc[D(2025, 9, 15) : D(2025, 10, 25)]
    assert (window.drop(index=[D(2025, 10, 7)])["served_fraction"] < 1).all()
    assert window.loc[D(2025, 10, 7), "inflow"] > 200 and not window.loc[D(2025, 10, 8), "short"]
    assert window.loc[D(2025, 10, 20), "short"]
    assert not blockade.town("Bamako", "food")["short"].any()  # food kept moving
    for town in ("Ménaka", "Gao", "Tessalit"):  # fed from Niamey, far from any attack
        assert not blockade.town(town)["short"].any(), town


def test_run_of_a_period_writes_the_timeline(tmp_path):
    res = run_cli("run", DATA / "depot.toml", "--out", tmp_path)
    assert res.returncode == 0, res.stderr
    import pandas as pd

    timeline = pd.read_csv(tmp_path / "timeline.csv")
    assert list(timeline.columns) == DOCUMENTED_COLUMNS
    assert len(timeline) == 3 * 10 * 2
    assert (tmp_path / "stocks.png").stat().st_size > 10_000
    report = (tmp_path / "report.md").read_text()
    assert "## Through time" in report and "not compared in this run" in report
    assert "The answer under each allocation policy" not in report
    # asked for, the other policies' answers: the period run under each
    res = run_cli("run", DATA / "depot.toml", "--compare-policies", "--out", tmp_path / "policies")
    assert res.returncode == 0, res.stderr
    report = (tmp_path / "policies" / "report.md").read_text()
    assert "The answer under each allocation policy" in report and "not compared" not in report
    assert "| town | max-min | proportional | priority |" in report


def _event(mali, extra: str):
    import tomllib

    from siege.scenario import scenario_from_dict

    raw = tomllib.loads(
        'name = "r"\n[[events]]\nkind = "ambush"\nbetween = ["Kwala", "Mourdiah"]\nstart = 2024-01-01\n'
        f"end = 2024-01-31\n{extra}\n"
    )
    return scenario_from_dict(raw, network=mali).events[0]


def test_recurring_event(mali):
    e = _event(mali, "every_days = 7\nlasts_days = 2")
    active = [d.day for d in (D(2024, 1, n) for n in range(1, 32)) if e.active_on(d)]
    assert active == [1, 2, 8, 9, 15, 16, 22, 23, 29, 30]
    assert not e.active_on(D(2024, 2, 5))  # after its window


def test_random_recurrence_is_drawn_in_sweeps(mali):
    import numpy as np

    from siege.analyses.sweep import draw_events
    from siege.scenario.model import Scenario

    e = _event(mali, "rate_per_week = 2\nlasts_days = 1")
    assert e.every_days == 4  # a plain run: one every 7/2 days, rounded
    scenario = Scenario("s", "", [], None, None, None, "", mali, [], [], {}, [e])
    counts = []
    for i in range(200):
        (drawn,) = draw_events(scenario, np.random.default_rng([0, i]), D(2024, 1, 1), D(2024, 1, 31))
        assert all(D(2024, 1, 1) <= d <= D(2024, 1, 31) for d in drawn.active_days)
        counts.append(len(drawn.active_days))
    assert abs(np.mean(counts) - 2 / 7 * 31) < 0.6  # about 8.9 occurrences a month


@pytest.mark.parametrize(
    "extra,expect",
    [
        ("probability = 1.5", "expected a probability"),
        ("lasts_days = 2", "lasts_days goes with every_days"),
        ("every_days = 0", "at least 1"),
        ("every_days = 7\nrate_per_week = 1", "either every_days or rate_per_week"),
        ("effect = { risk = [0.6, 0.2] }", "high end below its low end"),
        ("effect = { risk = [0.2, 1.4] }", "expected a probability"),
    ],
)
def test_bad_uncertainty_fields(mali, extra, expect):
    from siege.errors import SiegeInputError

    with pytest.raises(SiegeInputError, match=expect):
        _event(mali, extra)


def test_runs_sharing_a_memo_answer_as_fresh_runs(blockade):
    # a sweep worker shares lanes and solved days between variants; a variant that drops an event
    # (every later event moves up one place) or draws another effect must get its own answer
    from dataclasses import replace

    from siege.supply import SimulationMemo

    scenario = blockade.scenario
    end = dt.date(2025, 10, 31)
    dropped = replace(scenario, events=scenario.events[1:])
    weaker = replace(
        scenario,
        events=[replace(e, effect=replace(e.effect, risk=e.effect.risk / 2)) for e in scenario.events],
    )
    memo = SimulationMemo()
    shared = [simulate(s, end=end, memo=memo) for s in (scenario, dropped, weaker, scenario)]
    fresh = [simulate(s, end=end) for s in (scenario, dropped, weaker)]
    for a, b in zip(shared, [*fresh, fresh[0]], strict=True):
        assert a.frame.equals(b.frame)
        assert a.reasons == b.reasons
    assert not shared[0].frame.equals(shared[1].frame)  # the variants do differ
    assert not shared[0].frame.equals(shared[2].frame)
    assert len(memo.flows) > 0 and len(memo.roads) > 1


def test_stock_plot_names_the_towns_whose_lines_coincide(blockade, tmp_path):
    from siege.outputs.timeline import coinciding, most_affected, plot_stocks

    towns = most_affected(blockade)
    food = {t: tuple(blockade.town(t, "food")["stock_days"].round(2)) for t in towns}
    assert coinciding(food) == [towns]  # food never short: every line the same
    fuel = {t: tuple(blockade.town(t, "fuel")["stock_days"].round(2)) for t in towns}
    assert all("Bamako" not in group for group in coinciding(fuel))  # the capital's convoys set it apart
    assert plot_stocks(blockade, tmp_path / "stocks.png").stat().st_size > 10_000


# ---- restocking: a stock refills as soon as roads allow (issue 19) ------------------------------------

LIFTED = (
    '[[events]]\nkind = "blockade"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-03\nend = 2024-01-05\n'
    'commodities = ["fuel"]\n'
)


def test_a_lifted_blockade_refills_the_stock():
    result = mechanism(LIFTED)
    stock = result.town("Bamako", "fuel").set_index("date")["stock_days"]
    # 3 days of its area's 6 tankers, drawn down while the road is shut: empty by the 5th
    assert stock[D(2024, 1, 5)] == pytest.approx(0.0, abs=1e-6)
    # from the 6th Siby's idle trucks bring the day's 6 tankers and the refill (half the missing stock a
    # day, at most 2 x the normal day): the stock climbs every day and is back near 3 days within a week
    after = stock[D(2024, 1, 6) :]
    climbing = after[after < 3.0 - 1e-6]
    assert (climbing.diff().dropna() > 0).all()
    # by hand: 18 tankers missing on the 6th -> refill min(18 / 2, 6) = 6, 12 in, 6 kept (1 day); the 7th:
    # 12 missing -> 6 more (2 days); the 8th: 6 missing -> 3 (2.5 days); then half the gap a day
    inflow = result.town("Bamako", "fuel").set_index("date")["inflow"]
    assert [inflow[D(2024, 1, d)] for d in (6, 7, 8, 9)] == pytest.approx([12.0, 12.0, 9.0, 7.5])
    assert [stock[D(2024, 1, d)] for d in (6, 7, 8, 9)] == pytest.approx([1.0, 2.0, 2.5, 2.75])
    assert stock[D(2024, 1, 12)] == pytest.approx(3.0, rel=0.02)
    # nobody is short once the road is open again, and the statuses say so
    rows = result.frame[(result.frame["date"] >= D(2024, 1, 7)) & (result.frame["commodity"] == "fuel")]
    assert not rows["short"].any() and set(rows["status"]) == {"open"}


def test_the_stock_account_closes_every_day():
    """The ledger the relief planner's programme is written on: for every town and day, what it could
    draw tomorrow is what it could draw today plus what came in less what it consumed (no reserve is
    held or released here); it never consumes more than its need nor more than it had."""
    L = mechanism(LIFTED).ledger
    left = L.available[:-1] + L.inflow[:-1] - L.consumed[:-1]
    assert L.available[1:] == pytest.approx(left, abs=1e-9)
    assert (L.consumed <= L.need + 1e-9).all() and (L.consumed <= L.available + L.inflow + 1e-9).all()
    assert (L.arrived <= L.orders + 1e-6).all()


def test_a_threatened_lane_refills_slower_than_a_safe_one():
    threat = (
        '[[events]]\nkind = "ambush"\nbetween = ["Siby", "Bamako"]\nref = "RN5"\nstart = 2024-01-06\n'
        'end = 2024-01-12\ncommodities = ["fuel"]\neffect = { risk = 0.1 }\n'
    )  # risk 0.1: truckers carry 1 - 0.1/0.5 = 80 % of what is ordered through the lane
    safe = mechanism(LIFTED).town("Bamako", "fuel").set_index("date")["stock_days"]
    threatened = mechanism(LIFTED + threat).town("Bamako", "fuel").set_index("date")["stock_days"]
    day = D(2024, 1, 7)
    assert 0.0 < threatened[day] < safe[day]
    assert threatened[D(2024, 1, 12)] <= safe[D(2024, 1, 12)]


def test_after_a_lifted_town_blockade_no_town_stays_short(mali):
    """Ségou blockaded for ten days, nothing else: once it is lifted, with every road open and the
    gateways' trucks idle, Ségou refills and no town of its region is short a few days later (not at
    a solver tolerance of a millionth of a tanker either: short means more than 1 % of demand)."""
    import tomllib

    from siege.scenario import scenario_from_dict

    text = (
        'name = "Ségou probe"\nstart = 2025-09-01\nend = 2025-10-31\n[[events]]\nkind = "town_blockade"\n'
        'place = "Ségou"\nstart = 2025-09-05\nend = 2025-09-14\ncommodities = ["fuel"]\n'
    )
    result = simulate(scenario_from_dict(tomllib.loads(text), network=mali))
    f = result.frame
    late = f[f["date"] >= D(2025, 9, 25)]
    assert not late["short"].any(), sorted(set(late[late["short"]]["town"]))
    segou = result.town("Ségou", "fuel").set_index("date")
    assert segou["stock_days"][D(2025, 9, 14)] == pytest.approx(0.0, abs=1e-6)
    assert segou["stock_days"][D(2025, 10, 31)] == pytest.approx(segou["stock_days"][D(2025, 9, 1)], rel=1e-3)
    assert set(late[late["town"] == "Ségou"]["status"]) == {"open"}


# ---- no silent traps (issue 19) ------------------------------------------------------------------------


def test_a_supply_point_adds_to_the_gateways_unless_told_to_replace_them(mali):
    import tomllib

    from siege.analyses.isolation import run
    from siege.scenario import scenario_from_dict

    airstrip = '[[supply]]\nplace = "Nara"\ncapacity = 2\nnote = "the airstrip"\n[towns]\nnames = ["Bamako", "Nara"]\n'
    added = scenario_from_dict(tomllib.loads('name = "a"\n' + airstrip), network=mali)
    names = [p.name for p in added.supply]
    assert "Nara" in names and "Dakar (SN)" in names and "Abidjan (CI)" in names
    assert run(added, with_chokepoints=False).town("Bamako").status == "open"
    alone = scenario_from_dict(tomllib.loads('name = "a"\nreplace_default_supply = true\n' + airstrip), network=mali)
    assert [p.name for p in alone.supply] == ["Nara"]
    # a scenario row replaces the default of the same place (here with another capacity)
    dakar = scenario_from_dict(tomllib.loads('name = "d"\n[[supply]]\nplace = "Dakar"\ncapacity = 7\n'), network=mali)
    assert [p.capacity for p in dakar.supply if p.name == "Dakar (SN)"] == [7.0]


CONVOY = """
name = "convoy without a period"
{date}
[towns]
names = ["Bamako", "Nara"]
[[events]]
kind = "town_blockade"
place = "Nara"
start = 2025-09-01
commodities = ["fuel"]
[[events]]
kind = "convoy"
from = "Bamako"
to = "Nara"
date = 2025-10-08
trucks = 30
commodity = "fuel"
"""


def test_a_convoy_in_a_scenario_without_a_period_is_simulated_or_refused(mali, tmp_path):
    import tomllib

    from siege.analyses.isolation import run
    from siege.scenario import scenario_from_dict

    s = scenario_from_dict(tomllib.loads(CONVOY.format(date="date = 2025-10-12")), network=mali)
    # simulated from the first day an event acts, so the blockade's drawdown and the convoy both count
    assert (s.start, s.end) == (D(2025, 9, 1), D(2025, 10, 12))
    assert any("simulated from 2025-09-01" in n for n in s.notes)
    with_convoy = run(s, with_chokepoints=False)
    assert "timeline" in with_convoy.basis
    without = run(
        scenario_from_dict(
            tomllib.loads(CONVOY.format(date="date = 2025-10-12").split('[[events]]\nkind = "convoy"')[0]),
            network=mali,
        ),
        with_chokepoints=False,
    )
    assert without.town("Nara").status == "isolated"  # a blockade alone: steady day, no way in
    timeline = simulate(s)
    nara = timeline.town("Nara", "fuel").set_index("date")
    assert nara["stock_days"][D(2025, 10, 12)] > 0  # the convoy's tankers are in Nara's stock
    # the same table and timeline: one answer for the day
    assert with_convoy.town("Nara").served_fraction == pytest.approx(nara["served_fraction"][D(2025, 10, 12)])
    # undated: refused in one line, by validate as by run
    path = tmp_path / "undated.toml"
    path.write_text(CONVOY.format(date=""), encoding="utf-8")
    res = run_cli("validate", path)
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "events[1]" in res.stderr and "acts on stocks" in res.stderr


def test_reasons_name_what_binds():
    import tomllib

    from siege.scenario import scenario_from_dict

    capped = BASE.replace("capacity = 1000", "capacity = 1000\nby_commodity = { fuel = 3 }")
    result = simulate(scenario_from_dict(tomllib.loads(capped), where="capped", base=DATA))
    # Siby may send 3 of the 6 tankers Bamako's area needs: Bamako runs short once its 3 days are drawn
    assert result.summary_of("Bamako", "fuel")["days_short"] > 0
    assert any("Siby's fuel limit reached (3 a day)" in r for r in result.reasons["Bamako"])
    blockaded = mechanism('[[events]]\nkind = "town_blockade"\nplace = "Bamako"\ncommodities = ["fuel"]\n')
    assert "fuel: the town itself is blockaded" in blockaded.reasons["Bamako"]
    assert not any("limit reached" in r for r in blockaded.reasons["Bamako"])


def test_the_normal_day_follows_the_documented_corridor_shares(mali):
    """Day one of the bundled network with no event: each gateway's fuel is its documented share of the
    imports (networks/mali/corridor_shares.csv) within 5 points, not what route lengths would pick."""
    import csv
    import tomllib

    from siege.network import bundled
    from siege.scenario import scenario_from_dict

    with (bundled.data_dir() / "corridor_shares.csv").open(encoding="utf-8") as f:
        documented = {r["gateway"]: float(r["share"]) for r in csv.DictReader(f) if r["commodity"] == "fuel"}
    s = scenario_from_dict(tomllib.loads('name = "normal"\nstart = 2025-09-01\nend = 2025-09-01\n'), network=mali)
    result = simulate(s)
    sent: dict[str, float] = {}
    for (_, commodity), lanes in result.routes.items():
        if commodity == "fuel":
            for lane in lanes:
                if not lane.origin.endswith(" depot"):
                    sent[lane.origin] = sent.get(lane.origin, 0.0) + lane.trucks
    total = sum(sent.values())
    assert total == pytest.approx(result.frame[result.frame["commodity"] == "fuel"]["demand"].sum(), rel=0.02)
    for gateway, share in documented.items():
        assert sent.get(gateway, 0.0) / total == pytest.approx(share, abs=0.05), (gateway, sent)
    # Bamako itself draws on the Senegal corridor, as the fact base says most fuel comes
    bamako = [r for r in result.routes[("Bamako", "fuel")] if r.trucks > 0]
    assert "Dakar (SN)" in {r.origin for r in bamako}


# ---- stocks by holder: the security reserve is drawn only when released (issue 19) -------------------

HELD = (
    '[[events]]\nkind = "blockade"\nref = "RN5"\nfrom = "Siby"\nto = "Bamako"\nstart = 2024-01-03\n{end}'
    'commodities = ["fuel"]\n'
)
RELEASE = '[[events]]\nkind = "release_reserve"\nstart = 2024-01-03\n{end}commodities = ["fuel"]\n'


def test_the_security_reserve_is_drawn_only_when_released():
    # Bamako's area burns 6 tankers a day; its depot holds 3 days of commercial stock and the state's
    # 3-day reserve apart (networks/mali/commodities.csv)
    kept = mechanism(HELD.format(end=""))
    assert kept.summary_of("Bamako", "fuel")["stockout_date"] == D(2024, 1, 6)  # the commercial 18 last 3 days
    assert set(kept.town("Bamako", "fuel")["reserve_days"]) == {3.0}  # never drawn without a decision
    released = mechanism(HELD.format(end="") + RELEASE.format(end=""))
    reserve = released.town("Bamako", "fuel").set_index("date")["reserve_days"]
    assert reserve[D(2024, 1, 5)] == pytest.approx(3.0)  # the commercial stock goes first
    assert reserve[D(2024, 1, 8)] == pytest.approx(0.0)
    assert released.summary_of("Bamako", "fuel")["stockout_date"] == D(2024, 1, 9)  # three more days


def test_a_released_reserve_is_rebuilt_after_the_commercial_stock():
    end = "end = 2024-01-06\n"
    result = mechanism(HELD.format(end=end) + RELEASE.format(end=end))
    rows = result.town("Bamako", "fuel").set_index("date")
    # by hand: commercial 18 -> 0 on the 3rd-5th, reserve 18 -> 12 on the 6th; then orders refill the
    # commercial stock first (3 days again on the 9th) and only its surplus goes back to the reserve
    assert rows["reserve_days"][D(2024, 1, 6)] == pytest.approx(2.0)
    assert rows["reserve_days"][D(2024, 1, 9)] == pytest.approx(2.0)
    assert rows["stock_days"][D(2024, 1, 9)] == pytest.approx(3.0)
    assert rows["reserve_days"][D(2024, 1, 10)] == pytest.approx(2.5)
    assert 2.5 < rows["reserve_days"][D(2024, 1, 12)] < 3.0


def test_a_town_that_falls_back_is_judged_on_the_lane_it_takes(mali):
    """Kayes blockaded: the towns of its depot draw on Dakar directly; their status follows that lane — full
    service on a safe road, but from the border rather than from Kayes, so more than 1.5 × the usual
    hours: degraded, not besieged or isolated by their depot's closed door."""
    import tomllib

    from siege.scenario import scenario_from_dict

    # a planner's chain: Kayes's depot working again and serving Bafoulabé (the bundled chain has none)
    text = (
        'name = "Kayes"\nstart = 2025-09-01\nend = 2025-09-20\n[[events]]\nkind = "town_blockade"\n'
        'place = "Kayes"\nstart = 2025-09-02\ncommodities = ["fuel"]\n'
        '[[supply_chain]]\ncommodity = "fuel"\ntown = "Kayes"\nrole = "regional_depot"\nsupplied_by = "supply_points"\n'
        '[[supply_chain]]\ncommodity = "fuel"\ntown = "Bafoulabé"\nsupplied_by = "Kayes"\n'
    )
    result = simulate(scenario_from_dict(tomllib.loads(text), network=mali))
    assert result.chain["Bafoulabé"]["fuel"] == "Kayes"
    late = result.town("Bafoulabé", "fuel").iloc[-5:]
    assert (late["served_fraction"] == 1.0).all() and set(late["status"]) == {"degraded"} and not late["short"].any()
    # the nearest that can serve it: the national depot (another depot) or Dakar directly, never Kayes
    assert result.routes[("Bafoulabé", "fuel")][0].origin in {"Bamako depot", "Dakar (SN)"}
    assert result.summary_of("Kayes", "fuel")["days_short"] > 0  # the blockaded town itself runs short
