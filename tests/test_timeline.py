"""The siege through time: stock arithmetic checked by hand, and the fuel blockade of Bamako."""

from __future__ import annotations

import datetime as dt

import pytest

from siege.analyses.timeline import simulate
from siege.scenario import load_scenario

from .conftest import DATA, REPO, run_cli

D = dt.date


@pytest.fixture(scope="module")
def depot():
    return simulate(load_scenario(DATA / "depot.toml"))


def value(result, town, day, column):
    rows = result.town(town)
    return rows[rows["date"] == day][column].iloc[0]


def test_stocks_by_hand(depot):
    # Demand: Bamako 10, Koulikoro 5, Kati 5 trucks/day; fuel is 40 % of it (Bamako: 4/day), food 60 %
    # (6/day). Stocks start at 2 days of fuel (8 trucks) and 4 days of food (24 trucks).
    # 3-5 January: RN5 Siby-Bamako closed. Bamako and Koulikoro (beyond it) get nothing.
    assert value(depot, "Bamako", D(2024, 1, 3), "status") == "isolated"
    assert value(depot, "Bamako", D(2024, 1, 3), "fuel_stock_days") == 1.0  # 8 - 4 = 4 trucks = 1 day
    assert value(depot, "Bamako", D(2024, 1, 4), "fuel_stock_days") == 0.0  # 4 - 4 = 0
    assert not value(depot, "Bamako", D(2024, 1, 4), "short")
    assert value(depot, "Bamako", D(2024, 1, 5), "fuel_short")  # nothing left, nothing comes
    assert value(depot, "Bamako", D(2024, 1, 5), "food_stock_days") == 1.0  # 24 - 3 x 6 = 6 trucks
    # From 6 January 12 trucks/day get through. Both towns are below half their target stock, so they
    # order twice their demand (20 and 10); max-min fair sharing gives each 40 %: 8 and 4.
    assert value(depot, "Bamako", D(2024, 1, 6), "inflow") == pytest.approx(8.0)
    assert value(depot, "Koulikoro", D(2024, 1, 6), "inflow") == pytest.approx(4.0)
    # Bamako food: 6 + 8 x 0.6 - 6 = 4.8 trucks = 0.8 days; then 3.6, 2.4, 1.2 trucks
    assert value(depot, "Bamako", D(2024, 1, 6), "food_stock_days") == pytest.approx(0.8)
    assert value(depot, "Bamako", D(2024, 1, 9), "food_stock_days") == pytest.approx(0.2)
    # 10 January: Bamako can spare only 1.2 (stock) + 8 (inflow) + 4 (transit) - 10 (own need) = 3.2 of
    # the 4 trucks it forwards to Koulikoro: it keeps 0.8.
    assert value(depot, "Bamako", D(2024, 1, 10), "inflow") == pytest.approx(8.8)
    assert value(depot, "Koulikoro", D(2024, 1, 10), "inflow") == pytest.approx(3.2)
    assert value(depot, "Bamako", D(2024, 1, 10), "food_stock_days") == pytest.approx(0.08)  # 1.2 + 5.28 - 6
    # Kati, on its own road, never notices
    assert set(depot.town("Kati")["status"]) == {"open"} and not depot.town("Kati")["short"].any()


def test_summary_by_hand(depot):
    bamako = depot.summary_of("Bamako")
    assert bamako["fuel_stockout_date"] == D(2024, 1, 5)
    assert bamako["days_to_stockout"] == 4
    assert bamako["days_isolated"] == 3
    koulikoro = depot.summary_of("Koulikoro")
    assert koulikoro["food_stockout_date"] == D(2024, 1, 10)
    assert depot.summary_of("Kati")["first_day_short"] is None


@pytest.fixture(scope="module")
def blockade():
    return simulate(load_scenario(REPO / "scenarios" / "bamako-fuel-blockade-2025.toml"))


def test_bamako_fuel_falls_during_the_blockade_and_runs_out(blockade):
    bamako = blockade.town("Bamako")
    before = bamako[bamako["date"] < D(2025, 9, 3)]
    assert (before["fuel_stock_days"] == 10).all()  # full stock before the blockade is announced
    during = bamako[(bamako["date"] >= D(2025, 9, 15)) & (bamako["date"] <= D(2025, 10, 30))]
    assert (during["inflow"] < during["demand"]).all()
    stock = bamako.set_index("date")["fuel_stock_days"]
    assert stock[D(2025, 9, 20)] < stock[D(2025, 9, 10)]
    summary = blockade.summary_of("Bamako")
    out = summary["fuel_stockout_date"]
    assert out is not None and D(2025, 9, 14) < out <= D(2025, 11, 30)
    assert stock[out] == 0


def test_run_of_a_period_writes_the_timeline(tmp_path):
    res = run_cli("run", DATA / "depot.toml", "--out", tmp_path)
    assert res.returncode == 0, res.stderr
    import pandas as pd

    timeline = pd.read_csv(tmp_path / "timeline.csv")
    assert len(timeline) == 3 * 10 and {"date", "town", "inflow", "fuel_stock_days", "status"} <= set(timeline)
    assert (tmp_path / "stocks.png").stat().st_size > 10_000
    assert "fuel runs out" in (tmp_path / "report.md").read_text()


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
