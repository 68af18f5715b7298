"""The rainy season: roads closed or slowed every year in a window, from the facts; checked by hand."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from siege.errors import SiegeInputError
from siege.scenario import load_scenario, scenario_from_dict
from siege.supply import simulate

from .conftest import DATA, REPO, run_cli
from .test_supply_chain import BASE, fuel

D = dt.date

RAINS_ON_RN99 = """
[[events]]
kind = "season"
ref = "RN99"
from = "Meguetan"
to = "Koulikoro"
months = ["06-15", "10-31"]
"""


def test_the_rains_close_a_road_and_supply_reroutes():
    """RN99 closed by the rains from 15 June each year: Koulikoro's fuel comes from Meguetan until the
    14th, then through Bamako's depot (degraded: longer); on 1 November the road is open again."""
    text = BASE.replace("start = 2024-01-01\nend = 2024-01-08", "start = 2024-06-12\nend = 2024-06-18") + RAINS_ON_RN99
    r = simulate(scenario_from_dict(tomllib.loads(text), where="rains", base=DATA))
    assert fuel(r, "Koulikoro", D(2024, 6, 14), "status") == "open"
    for day in (15, 16, 17, 18):
        assert fuel(r, "Koulikoro", D(2024, 6, day), "status") == "degraded", day
        assert fuel(r, "Koulikoro", D(2024, 6, day), "inflow") == pytest.approx(2.0)
    assert r.routes[("Koulikoro", "fuel")][0].origin == "Bamako depot"
    season = r.scenario.events[0]
    assert season.active_on(D(2025, 10, 31)) and not season.active_on(D(2025, 11, 1))
    assert not season.active_on(D(2025, 6, 14)) and season.active_on(D(2030, 7, 1))


def test_a_window_may_wrap_past_the_new_year_and_bad_ones_are_refused():
    wrap = BASE + RAINS_ON_RN99.replace('["06-15", "10-31"]', '["11-01", "02-28"]')
    e = scenario_from_dict(tomllib.loads(wrap), base=DATA).events[0]
    assert e.active_on(D(2025, 1, 10)) and e.active_on(D(2025, 12, 1)) and not e.active_on(D(2025, 6, 1))
    for bad in ('["06-31", "10-31"]', '["06-15"]', '"June"'):
        with pytest.raises(SiegeInputError, match="months"):
            scenario_from_dict(tomllib.loads(BASE + RAINS_ON_RN99.replace('["06-15", "10-31"]', bad)), base=DATA)


def test_the_bundled_network_carries_the_seasons_of_the_facts(mali):
    dated = scenario_from_dict(tomllib.loads('name = "x"\nstart = 2025-07-01\nend = 2025-07-03\n'), network=mali)
    seasons = [e for e in dated.events if e.kind == "season"]
    labels = {e.label for e in seasons}
    assert "rainy season: RN33 Niono – Niafunké" in labels and "rainy season: every unpaved road" in labels
    assert all(e.note and e.source == "networks/mali/seasons.csv" for e in seasons)
    unpaved = next(e for e in seasons if "unpaved" in e.label)
    # a road with its own rule is not slowed twice
    assert not unpaved.edges & next(e for e in seasons if "Douentza" in e.label).edges
    off = scenario_from_dict(
        tomllib.loads('name = "x"\nstart = 2025-07-01\nend = 2025-07-03\nseasons = false\n'), network=mali
    )
    assert not [e for e in off.events if e.kind == "season"]
    undated = scenario_from_dict(tomllib.loads('name = "x"\n'), network=mali)
    assert not [e for e in undated.events if e.kind == "season"]
    # July: the Route de l'Espoir is twice as slow and the western route shut; December: neither
    from siege.scenario import degrade

    espoir = next(e for e in seasons if "Douentza" in e.label)
    western = next(e for e in seasons if "Niono" in e.label)
    july, december = degrade(dated.events, D(2025, 7, 2)), degrade(dated.events, D(2025, 12, 2))
    assert all(july.effects[k].delay_factor == 2 for k in espoir.edges)
    assert all(july.effects[k].closed for k in western.edges)
    assert not set(december.effects) & (espoir.edges | western.edges)


def test_network_info_says_what_the_season_does_on_a_day():
    res = run_cli("network", "info", "--date", "2025-09-01", "--format", "json")
    assert res.returncode == 0, res.stderr
    acting = json.loads(res.stdout)["season"]["acting"]
    assert any(a["what"] == "rainy season: RN33 Niono – Niafunké" and a["effect"] == "closed" for a in acting)
    assert not any(a["what"].startswith("low water") for a in acting)  # September: the Niger is in flood
    dry = json.loads(run_cli("network", "info", "--date", "2025-12-01", "--format", "json").stdout)
    # December: the rains are over; the upper river has fallen below the boats' draught, not yet Mopti–Gao
    assert [a["what"] for a in dry["season"]["acting"]] == ["low water: no boats Koulikoro – Mopti"]
    bad = run_cli("network", "info", "--date", "2025-13-01")
    assert bad.returncode == 2 and "--date" in bad.stderr and "Traceback" not in bad.stderr


def test_the_bundled_blockade_scenario_validates_with_its_seasons():
    sc = load_scenario(REPO / "scenarios" / "bamako-fuel-blockade-2025.toml")
    assert any(e.kind == "season" and e.active_on(D(2025, 9, 10)) for e in sc.events)
