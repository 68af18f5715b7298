"""Criticality and interdiction: equal to brute force, and the answers the bundled network gives."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest

from siege.analyses.criticality import (
    Segments,
    close_segments,
    criticality,
    max_delivery,
    reached_from,
    scenario_criticality,
)
from siege.analyses.interdiction import (
    attacker_min_cut,
    best_attack,
    best_defence,
    scenario_interdiction,
    segment_costs,
)
from siege.analyses.isolation import run
from siege.scenario import degrade, load_scenario
from siege.solver.arrays import RoadArrays
from siege.solver.routes import fastest_from

from .conftest import REPO, run_cli
from .test_solver import random_degradation, road_graph


def brute_force(arrays, supplies, towns, population):
    """Close each open segment, re-solve everything."""
    segments = Segments.of(arrays)
    sources = sorted({s for s, _ in supplies})
    nodes = [t for t, _ in towns]
    reach0 = reached_from(arrays, sources)
    before = max_delivery(arrays, supplies, towns)
    hours0 = fastest_from(arrays, sources).dist[nodes]
    out = {}
    for s in segments.open(arrays):
        closed = close_segments(arrays, segments, [s])
        reach = reached_from(closed, sources)
        isolated = [j for j, t in enumerate(nodes) if reach0[t] and not reach[t]]
        hours = fastest_from(closed, sources).dist[nodes]
        ok = np.isfinite(hours) & np.isfinite(hours0)
        out[s] = (
            isolated,
            sum(population[j] for j in isolated),
            max(0.0, before - max_delivery(closed, supplies, towns)),
            float((hours[ok] - hours0[ok]).sum()),
        )
    return out


def assert_equal_to_brute_force(arrays, supplies, towns, population):
    result = criticality(arrays, supplies, towns, population)
    expected = brute_force(arrays, supplies, towns, population)
    assert {c.segment for c in result.table} == set(expected)
    for c in result.table:
        isolated, pop, lost, hours = expected[c.segment]
        assert c.towns_isolated == isolated
        assert c.population_cut_off == pop
        assert c.demand_lost == pytest.approx(lost, abs=0.01)
        assert c.added_hours == pytest.approx(hours, abs=1e-3)
    return result


@pytest.mark.parametrize("seed", range(5))
def test_random_graphs_equal_brute_force(seed):
    G = road_graph(30, 12, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed)
    supplies = [(0, 600.0), (13, 300.0)]
    towns = [(i, float(d)) for i, d in ((4, 120), (9, 300), (17, 80), (22, 250), (29, 60))]
    assert_equal_to_brute_force(arrays, supplies, towns, [10_000, 50_000, 5_000, 30_000, 2_000])


@pytest.mark.parametrize("seed", range(3))
def test_larger_graphs_with_parallel_roads_and_one_ways_equal_brute_force(seed):
    # detours around a closed segment, flow rerouted through the residual network, subtrees re-solved
    # alone: a graph with cycles, one-way closures (random_degradation) and parallel roads
    G = road_graph(120, 90, seed)
    rng = np.random.default_rng(seed)
    for u, v, d in list(G.edges(data=True))[::17]:
        G.add_edge(u, v, **{**d, "capacity": d["capacity"] / 2, "travel_time": d["travel_time"] * 1.3})
    arrays = random_degradation(RoadArrays.from_graph(G), seed)
    supplies = [(0, 9000.0), (57, 4000.0), (101, 3000.0)]
    nodes = rng.choice(np.arange(1, 120), 12, replace=False)
    towns = [(int(t), float(rng.uniform(300, 1500))) for t in nodes if t not in (57, 101)]
    result = assert_equal_to_brute_force(arrays, supplies, towns, [1_000 * (j + 1) for j in range(len(towns))])
    assert any(c.demand_lost > 0 for c in result.table) and any(c.added_hours > 0 for c in result.table)


def _main_road_with_two_detours(detour_capacity: float) -> tuple[RoadArrays, int]:
    """A supply point (0) feeding a town (3, 10 trucks/day) over a fast main road 1-2 of 10 trucks/day,
    with two slower parallel detours round it (1-4-2, 1-5-2) of ``detour_capacity`` each; returns
    the arrays and the main road's segment."""
    G = nx.MultiDiGraph()
    for i in range(6):
        G.add_node(i, x=-8 + 0.1 * i, y=12.0)
    roads = [(0, 1, 100.0, 10), (1, 2, 10.0, 10), (2, 3, 100.0, 10)]
    roads += [
        (1, 4, detour_capacity, 30),
        (4, 2, detour_capacity, 30),
        (1, 5, detour_capacity, 40),
        (5, 2, detour_capacity, 40),
    ]
    for a, b, cap, km in roads:
        for u, v in ((a, b), (b, a)):
            G.add_edge(u, v, length=km * 1000.0, travel_time=km * 1000.0 / (60 / 3.6), capacity=cap)
    arrays = RoadArrays.from_graph(G)
    segments = Segments.of(arrays)
    main = next(
        s for s, edges in enumerate(segments.edges) if {int(arrays.src[edges[0]]), int(arrays.dst[edges[0]])} == {1, 2}
    )
    return arrays, main


@pytest.mark.parametrize(("detour_capacity", "lost"), [(6.0, 0.0), (4.0, 2.0)])
def test_closing_a_road_loses_what_its_detours_together_cannot_carry(detour_capacity, lost):
    # 10 trucks/day on the main road: two detours of 6 carry them between them (nothing lost, though
    # neither alone could), two of 4 carry 8 (2 lost)
    arrays, main = _main_road_with_two_detours(detour_capacity)
    result = assert_equal_to_brute_force(arrays, [(0, 100.0)], [(3, 10.0)], [1_000])
    assert next(c for c in result.table if c.segment == main).demand_lost == pytest.approx(lost, abs=0.01)


@pytest.fixture(scope="module")
def nara():
    return load_scenario(REPO / "scenarios" / "nara-rn4-2024.toml")


def test_bundled_network_equals_brute_force(nara):
    base = RoadArrays.from_graph(nara.G)
    arrays = base.degraded(degrade(nara.events, nara.date))
    supplies = [(base.index[s.node], s.capacity) for s in nara.supply]
    towns = [(base.index[t.node], t.demand) for t in nara.on_network]
    assert_equal_to_brute_force(arrays, supplies, towns, [t.population or 0 for t in nara.on_network])


@pytest.fixture(scope="module")
def nara_border_shut():
    """The Nara scenario with the Mauritanian crossing at Adel Bagrou closed as well."""
    import tomllib

    from siege.scenario import scenario_from_dict

    raw = tomllib.loads((REPO / "scenarios" / "nara-rn4-2024.toml").read_text(encoding="utf-8"))
    raw["events"].append({"kind": "blockade", "segments": [["Nara", "Adel Bagrou (MR)"]]})
    return scenario_from_dict(raw, where="nara+border", base=REPO / "scenarios")


def test_nara_keeps_its_food_by_mauritania_but_not_its_fuel(nara):
    """Nara's goods come from Mauritania by Adel Bagrou as well as by the RN4 (gateways-north.csv), but
    no fuel is reported on that crossing (supply.csv): the RN4 segments between Kwala and Nara each cut
    it off from its fuel imports, and nothing cuts it off from food."""
    report = scenario_criticality(nara)
    nara_at = report.towns.index("Nara")
    cutting = [c for c in report.result.table if nara_at in c.towns_isolated]
    assert cutting and all(c.only[nara_at] == ("fuel",) for c in cutting)
    assert all(report.labels[c.segment].startswith("RN4") for c in cutting)
    assert {r["towns_isolated"] for r in report.rows() if r["segment"].startswith("RN4 Mourdiah")} == {"Nara (fuel)"}


def test_rn4_segments_between_kwala_and_nara_isolate_nara(nara_border_shut):
    nara = nara_border_shut
    report = scenario_criticality(nara)
    G = nara.G
    # the RN4 between Kwala and Nara, found from the network: the shortest path along RN4 edges
    rn4 = G.edge_subgraph([(u, v, k) for u, v, k, r in G.edges(keys=True, data="ref") if "RN4" in r])
    from siege.places import mali_gazetteer, snap_places

    kwala, nara_node = (s.node for s in snap_places(G, [mali_gazetteer().get("Kwala"), mali_gazetteer().get("Nara")]))
    path = nx.shortest_path(rn4, kwala, nara_node, weight="length")
    rn4_keys = {(min(u, v), max(u, v)) for u, v in itertools.pairwise(path)}
    isolating = [
        report.segment_keys[c.segment] for c in report.result.table if report.towns.index("Nara") in c.towns_isolated
    ]
    assert {(min(u, v), max(u, v)) for u, v, _ in isolating} == rn4_keys
    assert all(label.startswith("RN4") for label in report.isolating("Nara"))


def test_cutting_nara_from_every_gateway_needs_the_mauritanian_crossing_too(nara):
    # its food as well as its fuel: the cheapest cut from every supply point shuts Adel Bagrou too
    from siege.analyses.interdiction import attacker_min_cut, segment_costs

    report = scenario_interdiction(nara, targets=["Nara"], budget=1, defend=0)
    base = RoadArrays.from_graph(nara.G)
    arrays = base.degraded(degrade(nara.events, nara.date))
    segments = Segments.of(arrays)
    every = sorted({base.index[s.node] for s in nara.supply})
    nara_node = base.index[next(t for t in nara.on_network if t.name == "Nara").node]
    cut = attacker_min_cut(arrays, segments, every, [nara_node], segment_costs(nara.G, arrays, segments))
    names = report.names(cut.segments)
    assert len(names) == 2 and any(n.startswith("RN4") for n in names) and any("Adel Bagrou" in n for n in names)
    assert cut.cost > report.cut.cost  # dearer than cutting its fuel alone


def test_the_cheapest_cut_of_nara_from_its_fuel_leaves_the_food_post_open(nara, nara_border_shut):
    # no fuel comes by Adel Bagrou: one RN4 segment cuts Nara from its fuel imports, and says so
    report = scenario_interdiction(nara, targets=["Nara"], budget=1, defend=0)
    assert len(report.cut.segments) == 1 and report.names(report.cut.segments)[0].startswith("RN4")
    assert report.cut_commodities == ("fuel",)
    # with the crossing shut as well, the same cut isolates Nara from every commodity
    shut = scenario_interdiction(nara_border_shut, targets=["Nara"], budget=1, defend=0)
    assert shut.cut.segments and shut.cut_commodities == ()


def test_attacker_min_cut_for_nara(nara_border_shut):
    nara = nara_border_shut
    report = scenario_interdiction(nara, targets=["Nara"], budget=2, defend=1)
    base = RoadArrays.from_graph(nara.G)
    arrays = base.degraded(degrade(nara.events, nara.date))
    segments = Segments.of(arrays)
    costs = segment_costs(nara.G, arrays, segments)
    # the cheapest cut is one RN4 segment (Nara hangs on the RN4); its cost is that segment's class cost
    assert len(report.cut.segments) == 1 and report.names(report.cut.segments)[0].startswith("RN4")
    crit = scenario_criticality(nara)
    singles = [costs[c.segment] for c in crit.result.table if crit.towns.index("Nara") in c.towns_isolated]
    assert report.cut.cost == pytest.approx(min(singles))
    # closing the cut isolates Nara
    nara_pos = base.index[next(t.node for t in nara.on_network if t.name == "Nara")]
    sources = sorted({base.index[s.node] for s in nara.supply})
    assert not reached_from(close_segments(arrays, segments, report.cut.segments), sources)[nara_pos]
    # measured on the supply model, closing the cut leaves Nara nothing: isolated, as run would say
    from siege.analyses.interdiction import SupplyDamage

    cut = SupplyDamage(nara, arrays, segments, ["Nara"]).final(frozenset(report.cut.segments))
    assert cut.served == (0.0,) and cut.status == ("isolated",)
    # the threat already leaves Nara unserved (truckers refuse the RN4): no closure adds to it
    assert all(a.damage.score == report.baseline.score for a in report.curve)


def small_case(seed):
    G = road_graph(9, 5, seed)
    arrays = random_degradation(RoadArrays.from_graph(G), seed)
    return arrays, [(0, 500.0)], [(4, 200.0), (7, 300.0), (8, 150.0)]


@pytest.mark.parametrize("seed", range(6))
def test_exact_attack_equals_enumeration_and_beats_greedy(seed):
    arrays, supplies, towns = small_case(seed)
    segments = Segments.of(arrays)
    candidates = segments.open(arrays)
    base = max_delivery(arrays, supplies, towns)
    for budget in (1, 2):
        enumerated = max(
            base - max_delivery(close_segments(arrays, segments, c), supplies, towns)
            for c in itertools.combinations(candidates, budget)
        )
        exact = best_attack(arrays, segments, supplies, towns, budget, method="exact")
        greedy = best_attack(arrays, segments, supplies, towns, budget, method="greedy")
        assert exact.denied == pytest.approx(enumerated, abs=0.01)
        assert greedy.denied <= exact.denied + 0.01


@pytest.mark.parametrize("seed", range(4))
def test_defence_against_enumeration(seed):
    arrays, supplies, towns = small_case(seed)
    segments = Segments.of(arrays)
    d = best_defence(arrays, segments, supplies, towns, attack_budget=2, defend=1, method="exact")
    assert d.attack.denied <= d.unprotected.denied + 1e-6
    # securing one segment: the best over every choice, by enumeration
    best = min(
        best_attack(arrays, segments, supplies, towns, 2, immune={s}, method="exact").denied
        for s in segments.open(arrays)
    )
    assert d.attack.denied == pytest.approx(best, abs=0.01)
    assert d.method == "exact"


def test_min_cut_equals_cheapest_enumerated_cut():
    arrays, _supplies, towns = small_case(3)
    segments = Segments.of(arrays)
    costs = np.arange(1, len(segments) + 1, dtype=float) % 4 + 1
    target = towns[1][0]
    cut = attacker_min_cut(arrays, segments, [0], [target], costs)
    best = min(
        sum(costs[s] for s in c)
        for k in range(1, 5)
        for c in itertools.combinations(segments.open(arrays), k)
        if not reached_from(close_segments(arrays, segments, c), [0])[target]
    )
    assert cut.cost == pytest.approx(best)


def test_worst_pairs_are_exact_on_the_bundled_network(nara):
    report = scenario_criticality(nara, k=2)
    assert report.result.worst_sets_method.startswith("exact")
    (ids, pop, _towns) = report.result.worst_sets[0]
    singles = max(c.population_cut_off for c in report.result.table)
    assert len(ids) == 2 and pop >= singles


def test_cli(tmp_path):
    res = run_cli("criticality", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", tmp_path / "c")
    assert res.returncode == 0, res.stderr
    assert {"criticality.csv", "criticality.geojson", "worst_sets.csv", "report.md", "map.html"} <= {
        p.name for p in (tmp_path / "c").iterdir()
    }
    res = run_cli("interdict", REPO / "scenarios" / "nara-rn4-2024.toml", "--target", "Nara", "--out", tmp_path / "i")
    assert res.returncode == 0, res.stderr
    assert "Attacker's minimum cut" in (tmp_path / "i" / "report.md").read_text()
    # the terminal gets tables with headers; scripts ask for JSON
    assert (
        "budget        damage  short" in res.stdout and "RN4" in res.stdout and not res.stdout.lstrip().startswith("{")
    )
    as_json = run_cli(
        "interdict",
        REPO / "scenarios" / "nara-rn4-2024.toml",
        "--target",
        "Nara",
        "--format",
        "json",
        "--out",
        tmp_path / "j",
    )
    assert json.loads(as_json.stdout)["targets"] == ["Nara"]
    bad = run_cli("interdict", REPO / "scenarios" / "nara-rn4-2024.toml", "--target", "Narra", "--out", tmp_path / "x")
    assert bad.returncode == 2 and "did you mean 'Nara'" in bad.stderr


def test_scenario_prices_segments_itself(tmp_path):
    text = (REPO / "scenarios" / "nara-rn4-2024.toml").read_text(encoding="utf-8")
    text += (
        '\n[[events]]\nkind = "blockade"\nsegments = [["Nara", "Adel Bagrou (MR)"]]\n'  # the border shut
        '\n[interdiction]\ncost = "uniform"\n'
        '[[interdiction.costs]]\nref = "RN4"\nbetween = ["Mourdiah", "Nara"]\ncost = 10\n'
    )
    path = tmp_path / "priced.toml"
    path.write_text(text, encoding="utf-8")
    report = scenario_interdiction(load_scenario(path), targets=["Nara"], budget=1, defend=0)
    # Mourdiah-Nara now costs 10, so the cheapest cut moves to Kwala-Mourdiah, at the uniform cost 1
    assert report.names(report.cut.segments) == ["RN4 Kwala/Didiéni – Mourdiah"] and report.cut.cost == 1
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('cost = "uniform"', 'cost = "cheap"'), encoding="utf-8")
    from siege.errors import SiegeInputError

    with pytest.raises(SiegeInputError, match=r"interdiction\.cost: expected one of class, length, uniform"):
        load_scenario(bad)


# ---- interdiction on the supply model run uses: hand-checked networks (tests/data/corridors.osm) ---


@pytest.fixture(scope="module")
def corridors():
    return load_scenario(REPO / "tests" / "data" / "corridors.toml")


def test_a_two_corridor_town_is_cut_with_two_closures_and_protecting_its_direct_road_saves_it(corridors):
    """Kati has two corridors from Siby (the direct road, and the road through Bamako): one closure does
    nothing, two cut it off; protecting the direct road leaves the attacker no plan that hurts it."""
    report = scenario_interdiction(corridors, targets=["Kati"], budget=2, defend=1)
    one, two = report.curve
    assert one.damage.score == report.baseline.score == 0 and one.damage.served == (1.0,)
    assert two.damage.score > 0 and two.damage.served == (0.0,)
    assert any("Siby – Kati" in n for n in report.names(two.segments))
    advice = report.defence
    assert report.names(advice.secured) == ["RN5 Siby – Kati"] and advice.attack.damage.score == 0
    assert advice.advice.startswith("protect RN5 Siby – Kati")


def test_protect_first_says_why_when_no_single_segment_helps(corridors):
    """Fana's two corridors have two segments each and no stock between: whichever one segment is
    protected, the attacker closes the other of that corridor. The advice says so, and that protecting
    the segments of its plans together does help; a town with nothing to lose gets no advice either."""
    report = scenario_interdiction(corridors, targets=["Fana"], budget=2, defend=1)
    assert report.curve[-1].damage.served == (0.0,)
    d = report.defence
    assert d.secured == () and d.advice.startswith("no single segment helps")
    assert d.together and "together" in d.advice and len(d.together) >= 3
    from siege.analyses.interdiction import SupplyDamage, supply_attacks

    # hand check of the advice: protected together, the attacker's best reply does no harm
    measure = SupplyDamage(corridors, *_arrays_and_segments(corridors), ["Fana"])
    allowed = np.ones(len(measure.segments), dtype=bool)
    assert supply_attacks(measure, 2, allowed=allowed, immune=frozenset(d.together))[-1].damage.score == 0
    quiet = scenario_interdiction(corridors, targets=["Kati"], budget=1, defend=1)
    assert quiet.defence.secured == () and quiet.defence.advice.startswith("nothing to protect")


def _arrays_and_segments(scenario):
    arrays = RoadArrays.from_graph(scenario.G).degraded(degrade(scenario.events, scenario.date))
    return arrays, Segments.of(arrays)


def test_interdict_measures_a_plan_as_run_does(corridors):
    """The damage interdict reports for a plan is run's answer on the same events: served fraction and
    status on the evaluation day, short town-days over the period."""
    report = scenario_interdiction(corridors, targets=["Kati", "Banamba"], budget=2, defend=0)
    plan = report.curve[-1]
    assert plan.segments
    from siege.analyses.interdiction import SupplyDamage

    measure = SupplyDamage(corridors, *_arrays_and_segments(corridors), report.targets)
    attacked = measure.variant(frozenset(plan.segments))
    result = run(attacked)
    for name, served, status in zip(report.targets, plan.damage.served, plan.damage.status, strict=True):
        assert result.town(name).served_fraction == pytest.approx(served, abs=1e-4)
        assert result.town(name).status == status
    from siege.supply import simulate

    frame = simulate(attacked).frame
    short = frame[frame["town"].isin(report.targets) & frame["short"]].groupby("town")["date"].nunique()
    assert int(short.sum()) == plan.damage.short_town_days


def test_the_attacker_acts_only_where_it_is_bounded(tmp_path):
    """By default the attacker acts in the capital's country (Mali): on the bundled network it never
    closes a segment lying wholly abroad, though Bamako's supply crosses five countries; bounded to a
    list of roads, it closes only those; bounded elsewhere, its cut names what it cannot reach."""
    from siege.analyses.interdiction import reachable
    from siege.network.borders import country_shapes

    nara = load_scenario(REPO / "scenarios" / "nara-rn4-2024.toml")
    assert nara.interdiction["reach"].startswith("Mali")
    report = scenario_interdiction(nara, targets=["Bamako"], budget=2, defend=0)
    mali = country_shapes()["Mali"]
    G = nara.G
    closed = {s for a in report.curve for s in a.segments} | set(report.cut.segments)
    assert closed
    for s in closed:
        assert G.edges[report.segment_keys[s]]["geometry"].intersects(mali), report.labels[s]
    # on roads only: the RN4
    text = (REPO / "scenarios" / "nara-rn4-2024.toml").read_text(encoding="utf-8")
    path = tmp_path / "rn4.toml"
    path.write_text(text + '\n[interdiction]\nwithin = ["RN4"]\n', encoding="utf-8")
    rn4 = load_scenario(path)
    arrays, segments = _arrays_and_segments(rn4)
    allowed = reachable(rn4, arrays, segments)
    assert 0 < allowed.sum() < len(segments)
    on_rn4 = scenario_interdiction(rn4, targets=["Nara"], budget=1, defend=0)
    assert all(on_rn4.labels[s].startswith("RN4") for a in on_rn4.curve for s in a.segments)
    assert on_rn4.reach == "the roads RN4"
    # a country name that is none, and a missing polygon file: one line naming the field
    from siege.errors import SiegeInputError

    for within, expected in (('"Atlantis"', "no country"), ('"zone.geojson"', "no such file")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text + f"\n[interdiction]\nwithin = {within}\n", encoding="utf-8")
        with pytest.raises(SiegeInputError, match=rf"interdiction\.within: .*{expected}"):
            load_scenario(bad)


def test_the_top_segments_are_measured_on_the_supply_model_too(corridors):
    """Criticality's ranking is structural; its first segments are also measured on the supply model:
    closing the road Banamba hangs on (Koulikoro – Banamba) leaves Banamba short, which the flow model
    calls "isolated" and the supply model counts in person-days."""
    report = scenario_criticality(corridors, supply_top=3)
    rows = report.rows()
    measured = [r for r in rows if r["supply_damage_added"] is not None]
    assert len(measured) == 3 and [r["rank"] for r in measured] == [1, 2, 3]
    banamba = next(r for r in rows if r["towns_isolated"] == "Banamba")
    assert banamba["supply_damage_added"] is not None and banamba["supply_damage_added"] > 0
    assert "person-days" in report.supply_measure
    assert all(r["supply_damage_added"] is None for r in scenario_criticality(corridors, supply_top=0).rows())


def test_every_segment_the_supply_took_is_measured_on_the_supply_model(corridors):
    """``lanes``: every segment a town's supply lane took on the evaluation day is measured on the
    supply model, whatever its structural rank; ``all``: every open segment, and a segment no lane took
    adds nothing that day (a road no truck takes carries none of the deliveries)."""
    from siege.analyses.interdiction import SupplyDamage
    from siege.scenario import degrade
    from siege.solver.arrays import RoadArrays

    lanes = scenario_criticality(corridors, supply_top="lanes")
    everything = scenario_criticality(corridors, supply_top="all")
    arrays = RoadArrays.from_graph(corridors.G).degraded(degrade(corridors.events, corridors.date))
    took = (
        SupplyDamage(corridors, arrays, lanes.result.segments, [t.name for t in corridors.on_network])
        .search(frozenset())
        .lanes
    )
    assert set(lanes.supply_damage) == set(took) and took
    assert set(everything.supply_damage) == set(everything.result.segments.open(arrays))
    for segment, damage in everything.supply_damage.items():
        if segment in took:
            assert damage == lanes.supply_damage[segment]
        else:
            assert damage == everything.supply_baseline
    assert "supply lanes took" in lanes.supply_measure and "every open segment" in everything.supply_measure


def test_the_analysis_gives_back_the_garbage_collector_as_it_found_it():
    # criticality pauses Python's collector while it runs: the caller's setting must come back, on
    # and off, after an answer and after an error
    import gc

    G = road_graph(30, 12, 0)
    arrays = RoadArrays.from_graph(G)
    supplies, towns = [(0, 600.0)], [(4, 120.0), (9, 300.0)]
    assert gc.isenabled()
    result = criticality(arrays, supplies, towns, [1, 2])
    assert gc.isenabled() and result.table
    gc.disable()
    try:
        criticality(arrays, supplies, towns, [1, 2])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(IndexError):
        criticality(arrays, supplies, [(10_000, 5.0)], [1])  # a town past the network's nodes
    assert gc.isenabled()


def test_the_written_map_reuses_the_supply_measure_and_says_the_same(corridors, tmp_path):
    # the outputs' run of the scenario shares the supply measure's solved days and lanes: the files
    # must be byte for byte those a fresh run writes
    from siege.outputs.criticality import write_criticality, write_interdiction

    crit = scenario_criticality(corridors, supply_top=2)
    inter = scenario_interdiction(corridors, targets=["Kati"], budget=1, defend=0)
    assert crit.memo is not None and crit.memo.flows and inter.memo is not None and inter.memo.flows
    for report, write in ((crit, write_criticality), (inter, write_interdiction)):
        shared = write(report, tmp_path / f"shared-{write.__name__}")
        report.memo = None  # the run solves everything afresh
        fresh = write(report, tmp_path / f"fresh-{write.__name__}")
        names = sorted(p.name for p in shared.iterdir())
        assert names == sorted(p.name for p in fresh.iterdir()) and "map.html" in names
        for name in names:
            assert (shared / name).read_bytes() == (fresh / name).read_bytes(), name


def test_the_attack_that_deepens_a_shortage_short_anyway_is_found(tmp_path):
    """corridors.osm, Kati alone with no stock, blockaded at half its normal day from the start: it is
    short every day whatever the attacker does. Its direct road from Siby brings that half; closing it sends its
    trucks through Bamako, where a threat of 0.45 lets truckers carry a tenth of its orders. No short
    day is added, but Kati receives less: the search finds that closure (before, it stopped with no
    plan, as on the fuel blockade, where it missed the RN7 cut that adds 56 days short over the period)."""
    from siege.analyses.interdiction import SupplyDamage, supply_attacks

    text = (
        f'name = "Kati short anyway"\nnetwork = {str(REPO / "tests" / "data" / "corridors.osm")!r}\n'
        "start = 2024-01-01\nend = 2024-01-20\ndate = 2024-01-20\n"
        '[[supply]]\nplace = "Siby"\ncapacity = 1000\n[towns]\nnames = ["Kati"]\n'
        "[demand.fuel]\nKati = 10\n[stocks]\nfuel_days = 0\n"
        '[[events]]\nkind = "town_blockade"\nplace = "Kati"\nstart = 2024-01-01\neffect = { capacity_factor = 0.5 }\n'
        '[[events]]\nkind = "blockade"\nref = "RN3"\nfrom = "Bamako"\nto = "Kati"\nstart = 2024-01-01\n'
        "effect = { risk = 0.45 }\n"
    )
    path = tmp_path / "kati.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    measure = SupplyDamage(scenario, *_arrays_and_segments(scenario), ["Kati"])
    none = measure.search(frozenset())
    allowed = np.ones(len(measure.segments), dtype=bool)
    (attack,) = supply_attacks(measure, 1, allowed=allowed)
    assert len(attack.segments) == 1
    closed = measure.search(frozenset(attack.segments))
    assert closed.score == none.score > 0  # short every day of the window either way
    assert closed.unserved > none.unserved
    assert closed.served[0] < none.served[0]
