"""siege plan-relief: escort windows and convoys chosen on the supply model, confirmed by siege run.

Hand-checked network (tests/data/corridors.osm, relief-kati.toml): Kati draws on the Bamako depot by the
RN3 and also lies on a direct road from Siby; both roads are attacked (risk 0.7: truckers refuse) from
4 January, so Kati runs short after its stock; the rest of the network is untouched.
"""

from __future__ import annotations

import tomllib

import pytest

from siege.analyses.isolation import run
from siege.analyses.relief import NOTE, ReliefConfig, plan_relief
from siege.scenario import load_scenario
from siege.supply import simulate

from .conftest import REPO, run_cli

KATI = REPO / "tests" / "data" / "relief-kati.toml"


def _days_short(scenario, town: str) -> int:
    frame = simulate(scenario).frame
    return int(frame[(frame["town"] == town) & frame["short"]]["date"].nunique())


def test_a_convoy_before_the_shortfall_keeps_kati_supplied_and_run_confirms_it(tmp_path):
    res = run_cli("plan-relief", KATI, "--escorts", "1", "--convoys", "1", "--fleet", "40", "--target", "Kati",
                  "--out", tmp_path / "plan")  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = tmp_path / "plan"
    assert {"plan.toml", "plan.md", "relief.json", "map.html"} <= {p.name for p in out.iterdir()}
    before = _days_short(load_scenario(KATI), "Kati")
    assert before > 0
    # plan.toml is the scenario with the plan's events, each noted as planned; siege run confirms the gain
    planned = load_scenario(out / "plan.toml")
    added = [e for e in planned.events if e.note == NOTE]
    assert added and len(planned.events) == len(load_scenario(KATI).events) + len(added)
    after = _days_short(planned, "Kati")
    assert after < before
    text = (out / "plan.md").read_text(encoding="utf-8")
    assert f"| Kati | {before} | {after} |" in text
    # in a commander's words: what, where, when
    first = text.split("## The plan")[1].splitlines()[2]
    assert first.startswith("1. ") and ("Send" in first or "Escort" in first) and "Kati" in first and "2024" in first
    assert f"{before} days short → {after}" in res.stdout
    # the loaded scenario is never touched
    assert tomllib.loads(KATI.read_text(encoding="utf-8"))["name"] == load_scenario(KATI).name


def test_the_escort_goes_on_kati_s_own_threatened_corridor_in_the_threat_window():
    """One escort window and no convoy: the candidates are the lanes Kati's supply takes (from the
    Bamako depot, by the RN3); the plan is the best of them, from before the first short day to the
    last, and greedy choice finds the same plan as trying every combination."""
    exact = plan_relief(KATI, ReliefConfig(escorts=1, convoys=0, targets=("Kati",)))
    assert [m.kind for m in exact.chosen] == ["escort"]
    escort = exact.chosen[0].table()
    assert escort["segments"] == [["Bamako", "Kati"]]
    frame = simulate(load_scenario(KATI)).frame
    short = frame[(frame["town"] == "Kati") & frame["short"]]["date"]
    assert escort["start"] < short.min() and escort["end"] >= short.max()  # the window covers the shortfall
    assert exact.after.score < exact.before.score
    planned = exact.planned
    assert _days_short(planned, "Kati") == exact.after.days["Kati"]
    greedy = plan_relief(KATI, ReliefConfig(escorts=1, convoys=0, targets=("Kati",), method="greedy"))
    assert greedy.method.startswith("greedy") and [m.words for m in greedy.chosen] == [m.words for m in exact.chosen]


def test_an_escort_window_lowers_a_declared_ban_on_the_town(tmp_path):
    """Kati under a declared ban letting in 40 % of its normal day, no attack on its roads: escorted
    trucks pass the ban at 70 % (1 − 0.6 × 0.5), so one escort window on its lane, and no convoy,
    shortens its shortfall."""
    text = (
        KATI.read_text(encoding="utf-8")
        .split("[[events]]")[0]
        .replace('network = "corridors.osm"', f"network = {str(KATI.parent / 'corridors.osm')!r}")
    )
    text += (
        '[[events]]\nkind = "town_blockade"\nname = "declared ban on Kati"\nplace = "Kati"\n'
        "start = 2024-01-04\nend = 2024-01-20\neffect = { capacity_factor = 0.4 }\n"
    )
    path = tmp_path / "ban.toml"
    path.write_text(text, encoding="utf-8")
    plan = plan_relief(path, ReliefConfig(escorts=1, convoys=0, targets=("Kati",)))
    assert plan.before.days["Kati"] > 0
    assert [m.kind for m in plan.chosen] == ["escort"]
    assert plan.after.days["Kati"] < plan.before.days["Kati"]
    assert _days_short(plan.planned, "Kati") == plan.after.days["Kati"]


def test_more_means_never_plan_worse_and_a_town_not_short_gets_no_plan():
    """Exact over the candidates: allowing a convoy as well can only keep or lower the damage; a town
    that is never short gets nothing (the plan adds no event)."""
    one = plan_relief(KATI, ReliefConfig(escorts=1, convoys=0, targets=("Kati",)))
    two = plan_relief(KATI, ReliefConfig(escorts=1, convoys=1, fleet=40, targets=("Kati",)))
    assert two.after.score <= one.after.score
    quiet = plan_relief(KATI, ReliefConfig(escorts=1, convoys=1, targets=("Koulikoro",)))
    assert quiet.chosen == [] and quiet.after.score == quiet.before.score == 0


@pytest.mark.parametrize(
    ("escorts", "convoys", "fleet"), [(1, 0, 8), (0, 1, 5), (1, 1, 5), (1, 1, 8), (0, 2, 8), (1, 2, 8)]
)
def test_the_programme_finds_the_plan_that_trying_every_combination_finds(escorts, convoys, fleet):
    """The MILP of the linear period model against the enumeration, on Kati's two attacked corridors:
    the programme's plan, run through the period, leaves Kati as few short person-days as the best of
    every combination; without a plan it reproduces the run's own figure. Fleets small enough that no
    single means covers the shortfall, so escort and convoys have to be combined (their interaction:
    a convoy's load stands in for the escort's deliveries of the next days)."""
    config = dict(escorts=escorts, convoys=convoys, fleet=fleet, targets=("Kati",))
    exact = plan_relief(KATI, ReliefConfig(**config, method="exact"))
    milp = plan_relief(KATI, ReliefConfig(**config, method="milp"))
    assert exact.method.startswith("exact") and milp.method.startswith("mixed-integer programme")
    assert milp.model is not None and milp.model.status == "optimal"
    assert milp.model.model_before == milp.before.score == exact.before.score > 0
    assert milp.after.score == exact.after.score < exact.before.score
    kinds = [m.kind for m in milp.chosen]
    assert kinds.count("convoy") <= convoys and kinds.count("escort") <= escorts
    # what the plan reports is a run of plan.toml's scenario, not the model's figure
    assert _days_short(milp.planned, "Kati") == milp.after.days["Kati"]


def test_convoys_are_offered_on_several_dates_and_auto_hands_large_choices_to_the_programme(tmp_path):
    """Two convoys for one town leave on different dates across its shortfall; with more combinations
    than the enumeration's limit, auto solves the programme, which plan.md and relief.json say."""
    res = plan_relief(KATI, ReliefConfig(escorts=0, convoys=2, fleet=8, targets=("Kati",), exact_limit=1))
    assert res.method.startswith("mixed-integer programme")
    dates = [m.table()["date"] for m in res.candidates if m.kind == "convoy"]
    assert len(dates) >= 2 and len(set(dates)) == len(dates)
    chosen = [m.table()["date"] for m in res.chosen]
    assert len(chosen) == 2 and chosen[0] != chosen[1]
    out = run_cli("plan-relief", KATI, "--escorts", "0", "--convoys", "2", "--fleet", "8", "--target", "Kati",
                  "--method", "milp", "--out", tmp_path / "plan")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "mixed-integer programme" in out.stdout and "HiGHS" not in out.stderr
    assert "linear model of the targets' stocks" in (tmp_path / "plan" / "plan.md").read_text(encoding="utf-8")
    import json

    model = json.loads((tmp_path / "plan" / "relief.json").read_text(encoding="utf-8"))["model"]
    assert model["status"] == "optimal" and model["damage_without_plan_in_model"] == res.before.score


def test_a_robust_plan_is_scored_after_the_attackers_reply():
    robust = plan_relief(KATI, ReliefConfig(escorts=0, convoys=1, fleet=40, targets=("Kati",), against_budget=1))
    assert "attacker's best reply" in robust.measure
    # the damage the attacker's reply leaves is what a run of the plan with that reply closed gives
    assert robust.after.score <= robust.before.score
    assert robust.after.days["Kati"] >= 0


def test_bad_means_are_one_line_errors(tmp_path):
    res = run_cli("plan-relief", KATI, "--target", "Narra", "--out", tmp_path / "x")
    assert res.returncode == 2 and "Narra" in res.stderr and "Traceback" not in res.stderr
    steady = REPO / "scenarios" / "nara-rn4-2024.toml"  # no period: nothing to plan over
    res = run_cli("plan-relief", steady, "--out", tmp_path / "y")
    assert res.returncode == 2 and "period" in res.stderr and not (tmp_path / "y").exists()
    # the programme does not see the attacker: asked for both, one line, nothing written
    res = run_cli("plan-relief", KATI, "--method", "milp", "--against-budget", "1", "--out", tmp_path / "z")
    assert res.returncode == 2 and "--method" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "z").exists()


@pytest.mark.slow
def test_the_bundled_blockade_plan_is_confirmed_by_run(tmp_path):
    """On the fuel blockade of Bamako: a convoy of 300 tankers and one escort window for Bamako; siege
    run of plan.toml gives the days short the plan reports."""
    scenario = REPO / "scenarios" / "bamako-fuel-blockade-2025.toml"
    result = plan_relief(scenario, ReliefConfig(escorts=1, convoys=1, fleet=300, targets=("Bamako",)))
    from siege.outputs.relief import write_relief

    write_relief(result, scenario, tmp_path / "plan")
    planned = load_scenario(tmp_path / "plan" / "plan.toml")
    assert _days_short(planned, "Bamako") == result.after.days["Bamako"] <= result.before.days["Bamako"]
    assert run(planned).town("Bamako") is not None
