"""Relief planning: which escort windows and convoys, within the means given, keep the towns supplied.

The planner's question, answered on the supply model ``siege run`` uses (threats and truckers'
refusal, escorts, convoys, supply chains, stocks over the period): *what do we escort, when, and which
convoys do we send?*

1. **Candidates** from the scenario's own shortfalls (a run through its period): for each target short
   in it, worst first, *escort windows* on each of the (at most 3) busiest lanes its worst-short
   commodity takes, over the stretch inside the defender's country (the attacker's reach, by default the
   capital's country): one from 3 days before its first short day to its last and, when the shortfall
   comes in stretches (short days more than ``RELIEF_STRETCH_GAP_DAYS`` apart), one per stretch; each
   for up to the town's normal day of trucks (all commodities; or ``escort_capacity``). And *convoys* of
   that commodity from where it draws it (its depot, else its safest lane's gateway, else the capital),
   escorted, of ``fleet / convoys`` trucks: one leaving 2 days before each stretch, then one every time
   the last would be eaten (its trucks over the town's day, at least 3 days) or often enough that all
   the convoys fit in the stretch (at least 2 days apart), at most ``RELIEF_CONVOYS_PER_STRETCH`` a
   stretch.
2. **Choice** (``method``): ``exact`` runs every combination of at most ``escorts`` windows and
   ``convoys`` convoys through the period and keeps the one with the fewest short person-days of the
   targets (exact over the candidates on the supply model itself); ``milp`` runs each candidate alone,
   then solves the mixed-integer programme of the linear period model (:mod:`siege.analyses.relief_milp`,
   HiGHS) over all combinations at once, and runs its plan (a single means that did better alone in the
   run is kept instead); ``greedy`` adds the candidate that lowers the damage most while one does.
   ``auto``: exact up to ``exact_limit`` combinations, milp beyond, greedy against an attacker.
   Against an attacker (``against_budget``), a plan is scored by the damage left after the attacker's
   best reply with that many closures (:mod:`siege.analyses.interdiction`): a robust plan (exact or
   greedy: the programme does not see the attacker).
3. **Measure** as ``run`` measures: short person-days (population × days on which a commodity runs
   short), or with ``keep_above`` the person-days on which a target's worst commodity is served below
   that fraction.

Every figure of a plan comes from :func:`siege.supply.simulate` on the scenario with the plan's events
added, which is what ``siege run plan.toml`` runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siege import settings
from siege.errors import SiegeInputError

NOTE = "planned by siege plan-relief"


@dataclass(frozen=True)
class ReliefConfig:
    """The means a relief plan may use, and what it aims at."""

    escorts: int = 1  # escort windows at most
    convoys: int = 1  # convoys at most
    fleet: float = 100.0  # trucks for all convoys together
    targets: tuple[str, ...] = ()  # default: every town short in the scenario
    keep_above: float | None = None  # count the days a target is served below this fraction instead
    against_budget: int = 0  # plan against the attacker's best reply with this many closures
    escort_capacity: float | None = None  # trucks a day an escort takes (default: the town's normal day)
    exact_limit: int = settings.RELIEF_EXACT_LIMIT  # "auto": combinations run one by one at most
    method: str = "auto"  # "exact", "milp", "greedy", or "auto" (exact while small, then milp; greedy if robust)


METHODS = ("auto", "exact", "milp", "greedy")


@dataclass(frozen=True)
class Means:
    """One escort window or convoy: the event a plan adds, and the same in a commander's words."""

    kind: str  # "escort" or "convoy"
    event: tuple[tuple[str, Any], ...]  # the scenario event table (items)
    words: str
    town: str  # the town it is for

    def table(self) -> dict[str, Any]:
        """The event as a scenario table (TOML arrays as lists)."""
        return {
            k: ([list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v)
            for k, v in self.event
        }


@dataclass(frozen=True)
class Outcome:
    """What the targets suffer under a plan."""

    score: float  # person-days short (or below ``keep_above``), after the attacker's reply if any
    days: dict[str, int]  # per target: days short (or below)
    attack: tuple[str, ...] = ()  # the attacker's reply (segment names), when planned against one


@dataclass
class ReliefResult:
    """The chosen plan, what it changes, and how it was found."""

    scenario: Any  # the scenario as loaded
    planned: Any  # the scenario with the plan's events
    raw: dict[str, Any]  # the planned scenario's table (for plan.toml)
    config: ReliefConfig
    targets: list[str]
    chosen: list[Means]
    candidates: list[Means]
    before: Outcome
    after: Outcome
    method: str
    measure: str
    population: dict[str, float] = field(default_factory=dict)
    model: Any = None  # the MILP's choice (siege.analyses.relief_milp.MilpChoice) when it chose


def plan_relief(path: str | Path, config: ReliefConfig) -> ReliefResult:
    """The relief plan for the scenario file at ``path`` within ``config``'s means (see module docstring)."""
    from siege.scenario import scenario_from_dict
    from siege.scenario.model import read_toml
    from siege.supply import SimulationMemo, simulate

    path = Path(path)
    raw = read_toml(path)
    where = str(path)
    scenario = scenario_from_dict(raw, where=where, base=path.parent)
    if scenario.start is None or scenario.end is None:
        raise SiegeInputError(f"{where}: start", "plan-relief plans over a period: give the scenario start and end")
    if config.method not in METHODS:
        raise SiegeInputError("--method", f"expected one of {', '.join(METHODS)}, got {config.method!r}")
    if config.method == "milp" and config.against_budget:
        raise SiegeInputError("--method", "milp plans without the attacker: use exact or greedy with --against-budget")
    for name, value in (("--escorts", config.escorts), ("--convoys", config.convoys)):
        if value < 0:
            raise SiegeInputError(name, "expected 0 or more")
    if config.convoys and not config.fleet > 0:
        raise SiegeInputError("--fleet", "expected a number of trucks above 0 for the convoys")
    memo = SimulationMemo()
    towns = {t.name: t for t in scenario.on_network}
    baseline = simulate(scenario, memo=memo)
    targets = _targets(scenario, baseline, config, towns)
    population = {n: float(towns[n].population or settings.UNKNOWN_POPULATION) for n in targets}

    def planned(means: Sequence[Means]):
        table = copy.deepcopy(raw)
        table["events"] = [*table.get("events", []), *(m.table() for m in means)]
        return table, scenario_from_dict(table, where=f"{where} with the plan", base=path.parent, network=scenario.G)

    outcomes: dict[tuple[Means, ...], Outcome] = {}

    def outcome(means: Sequence[Means]) -> Outcome:
        key = tuple(sorted(means, key=lambda m: m.words))
        if key not in outcomes:
            s = planned(key)[1] if key else scenario
            outcomes[key] = _outcome(s, simulate(s, memo=memo), targets, population, config, attacker)
        return outcomes[key]

    roads = _Roads(scenario)  # the network's arrays and place names, made once for the whole plan
    attacker = _Attacker(scenario, roads) if config.against_budget else None
    before = outcome(())
    candidates = _candidates(scenario, baseline, targets, config, roads)
    escorts = [m for m in candidates if m.kind == "escort"]
    convoys = [m for m in candidates if m.kind == "convoy"]
    n_e, n_c = min(config.escorts, len(escorts)), min(config.convoys, len(convoys))
    count = sum(math.comb(len(escorts), i) for i in range(n_e + 1)) * sum(
        math.comb(len(convoys), j) for j in range(n_c + 1)
    )
    method = config.method
    if method == "auto":
        method = "exact" if count <= config.exact_limit else ("greedy" if config.against_budget else "milp")
    model = None
    if method == "exact":
        plans = [
            (*e, *c)
            for i in range(n_e + 1)
            for e in itertools.combinations(escorts, i)
            for j in range(n_c + 1)
            for c in itertools.combinations(convoys, j)
        ]
        best = min(plans, key=lambda p: (outcome(p).score, len(p), [m.words for m in p]))
        how = f"exact over the {len(candidates)} candidates ({count} combinations run through the period)"
    elif method == "milp":
        from siege.analyses.relief_milp import choose

        singles = [simulate(planned((m,))[1], memo=memo) for m in candidates]
        for m, t in zip(candidates, singles, strict=True):
            outcomes.setdefault((m,), _outcome(t.scenario, t, targets, population, config))
        model = choose(
            baseline, singles, [m.kind for m in candidates], targets, population,
            escorts=n_e, convoys=n_c, keep_above=config.keep_above,
        )  # fmt: skip
        best = tuple(candidates[i] for i in model.chosen)
        # the run has the last word: a means that did better alone than the programme's plan is kept
        best = min([best, *((m,) for m in candidates)], key=lambda p: (outcome(p).score, len(p)))
        how = (
            f"mixed-integer programme of the linear period model over the {len(candidates)} candidates "
            f"({count} combinations; HiGHS: {model.status}"
            + (f", gap {model.gap:.1%}" if model.gap > 1e-9 else "")
            + f"; the model gives the plan {model.model_score:,.0f} person-days, the run "
            f"{outcome(best).score:,.0f})"
        )
    else:
        best: tuple[Means, ...] = ()
        while True:
            room = [
                m
                for m in candidates
                if m not in best
                and sum(x.kind == m.kind for x in best) < (config.escorts if m.kind == "escort" else config.convoys)
            ]
            if not room:
                break
            step = min(room, key=lambda m: (outcome((*best, m)).score, m.words))
            if outcome((*best, step)).score >= outcome(best).score:
                break
            best = (*best, step)
        how = f"greedy over the {len(candidates)} candidates ({count} combinations)"
    if not best or outcome(best).score >= before.score:
        best = ()  # nothing helps: the plan adds nothing
    table, with_plan = planned(best) if best else (copy.deepcopy(raw), scenario)
    what = (
        f"person-days on which a target's worst commodity is served below {config.keep_above:.0%}"
        if config.keep_above is not None
        else "short person-days (population × days on which a commodity runs short)"
    )
    if config.against_budget:
        what += f", after the attacker's best reply closing {config.against_budget} segment(s)"
    return ReliefResult(
        scenario, with_plan, table, config, targets, list(best), candidates, before, outcome(best), how, what,
        population, model,
    )  # fmt: skip


def _targets(scenario, baseline, config: ReliefConfig, towns) -> list[str]:
    if config.targets:
        from siege.places import gazetteer_for

        gazetteer = gazetteer_for(scenario.G)
        names = [gazetteer.get(n, f"--target {n}").name for n in config.targets]
        for n in names:
            if n not in towns:
                raise SiegeInputError(f"--target {n}", "not one of the scenario's towns on the network")
        return names
    short = baseline.towns[baseline.towns["days_short"] > 0]
    return [str(n) for n in short["town"]] or [t.name for t in scenario.on_network]


def _below(frame, config: ReliefConfig):
    """Rows (day, town, commodity) that count as a shortfall."""
    if config.keep_above is None:
        return frame[frame["short"]]
    return frame[frame["served_fraction"] < config.keep_above]


def _outcome(scenario, timeline, targets, population, config: ReliefConfig, attacker=None) -> Outcome:
    rows = _below(timeline.frame[timeline.frame["town"].isin(targets)], config)
    days = rows.groupby("town")["date"].nunique()
    per = {n: int(days.get(n, 0)) for n in targets}
    if attacker is not None:
        return attacker.reply(scenario, targets, population, config, per)
    return Outcome(round(sum(per[n] * population[n] for n in targets), 1), per)


class _Attacker:
    """The attacker a robust plan is scored against. A plan adds escorts and convoys, which degrade no
    road, so the network's state, its segments, the attacker's reach and their names are the same for
    every plan: made once."""

    def __init__(self, scenario, roads: _Roads) -> None:
        from siege.analyses.criticality import Segments
        from siege.analyses.interdiction import reachable
        from siege.scenario import degrade

        self.arrays = roads.arrays.degraded(degrade(scenario.events, scenario.date))
        self.segments = Segments.of(self.arrays)
        self.allowed = reachable(scenario, self.arrays, self.segments)
        self.roads = roads

    def reply(self, scenario, targets, population, config: ReliefConfig, per) -> Outcome:
        """The plan's damage after the attacker's best reply (its closures acting over the whole period)."""
        from siege.analyses.interdiction import SupplyDamage, supply_attacks
        from siege.analyses.isolation import edge_label
        from siege.supply import simulate

        measure = SupplyDamage(scenario, self.arrays, self.segments, targets)
        reply = supply_attacks(measure, config.against_budget, allowed=self.allowed)[-1]
        if not reply.segments:
            return Outcome(round(sum(per[n] * population[n] for n in targets), 1), per)
        rows = _below(simulate(measure.variant(frozenset(reply.segments)), memo=measure.memo).frame, config)
        days = rows[rows["town"].isin(targets)].groupby("town")["date"].nunique()
        hit = {n: int(days.get(n, 0)) for n in targets}
        G, keys = scenario.G, self.arrays.keys
        names = tuple(edge_label(G, keys[self.segments.edges[s][0]], self.roads.labels) for s in reply.segments)
        return Outcome(round(sum(hit[n] * population[n] for n in targets), 1), hit, names)


def _candidates(scenario, baseline, targets: list[str], config: ReliefConfig, roads: _Roads) -> list[Means]:
    """Escort windows on each target's lanes and convoys for it, for each target short in the
    scenario, worst first: on each lane one window over the whole shortfall and, when it comes in
    stretches, one per stretch; convoys leaving before each stretch and then as often as one convoy's
    trucks last the town (at most ``RELIEF_CONVOYS_PER_STRETCH`` dates a stretch)."""
    frame = _below(baseline.frame[baseline.frame["town"].isin(targets)], config)
    if frame.empty:
        return []
    worst = frame.groupby("town")["date"].nunique().sort_values(ascending=False)
    out: list[Means] = []
    per_convoy = config.fleet / config.convoys if config.convoys else 0.0
    for town in worst.index:
        rows = frame[frame["town"] == town]
        commodity = str(rows.groupby("commodity")["date"].nunique().idxmax())
        stretches = _stretches(sorted(set(rows["date"])))
        first, last = stretches[0][0], stretches[-1][1]
        mine = baseline.frame[baseline.frame["town"] == town]
        # an escort takes trucks whatever their load: the town's normal day, all commodities together
        normal_day = float(mine.groupby("commodity")["demand"].max().sum())
        unit = "tankers" if commodity == "fuel" else "trucks"
        capacity = float(config.escort_capacity or max(1, math.ceil(normal_day)))
        windows = [(first, last)] + (stretches if len(stretches) > 1 else [])
        for places, ref in roads.escortable(baseline.routes.get((town, commodity), []), town):
            road = f"{ref} " if ref else ""
            for a, b in windows:
                start = max(scenario.start, a - dt.timedelta(days=3))
                escort = (
                    ("kind", "escort"),
                    ("name", f"escort {places[0]} – {town}"),
                    ("segments", tuple(itertools.pairwise(places))),
                    ("capacity_trucks_per_day", capacity),
                    ("start", start),
                    ("end", b),
                    ("note", NOTE),
                )
                words = (
                    f"escort up to {capacity:g} trucks a day on the {road}road {' – '.join(places)} from "
                    f"{start:%d %b %Y} to {b:%d %b %Y}"
                )
                out.append(Means("escort", escort, words, town))
        origin = _origin(scenario, baseline, town, commodity)
        if not config.convoys or origin is None:
            continue
        trucks = max(1, math.floor(per_convoy))
        day_need = float(mine[mine["commodity"] == commodity]["demand"].max()) or 1.0
        lasts = max(3, math.floor(trucks / day_need))  # days one convoy's load feeds the town
        for a, b in stretches:
            leave = max(scenario.start, a - dt.timedelta(days=2))
            # as often as a load lasts, and often enough that all the convoys fit in the stretch
            every = dt.timedelta(days=max(2, min(lasts, math.ceil(((b - a).days + 1) / config.convoys))))
            for _ in range(settings.RELIEF_CONVOYS_PER_STRETCH):
                convoy = (
                    ("kind", "convoy"),
                    ("name", f"convoy {origin} – {town}"),
                    ("from", origin),
                    ("to", town),
                    ("trucks", trucks),
                    ("commodity", commodity),
                    ("escorted", True),
                    ("date", leave),
                    ("note", NOTE),
                )
                words = (
                    f"send {trucks} {unit} of {commodity} from {origin} to {town}, escorted, leaving {leave:%d %b %Y}"
                )
                out.append(Means("convoy", convoy, words, town))
                leave += every
                if leave > b - dt.timedelta(days=2):
                    break
    return out


def _stretches(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Short days as stretches (first, last); a gap under ``RELIEF_STRETCH_GAP_DAYS`` joins two."""
    out: list[tuple[dt.date, dt.date]] = []
    for d in days:
        if out and (d - out[-1][1]).days <= settings.RELIEF_STRETCH_GAP_DAYS:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


class _Roads:
    """The named places along a town's lanes, within the defender's reach (the country the attacker is
    bounded to, by default the capital's: an escort is the army's, in its own country)."""

    def __init__(self, scenario) -> None:
        from siege.analyses.isolation import node_labels
        from siege.places import gazetteer_for
        from siege.solver.arrays import RoadArrays

        self.scenario = scenario
        self.arrays = RoadArrays.from_graph(scenario.G)
        self.gazetteer = gazetteer_for(scenario.G)
        self.labels = node_labels(scenario.G, self.gazetteer, scenario)

    def _inside(self, node: int) -> bool:
        import shapely

        within = self.scenario.interdiction.get("within")
        if within is None:
            return True
        if isinstance(within, frozenset):
            return any(node in key[:2] for key in within)
        d = self.scenario.G.nodes[node]
        return bool(within.covers(shapely.Point(d["x"], d["y"])))

    def escortable(self, lanes, town: str, *, at_most: int = 3) -> list[tuple[list[str], str | None]]:
        """For each of the town's busiest lanes (distinct, at most ``at_most``): the named places along
        it inside the reach, from where it enters to the town, and the road's ref if it keeps one."""
        out: list[tuple[list[str], str | None]] = []
        seen = set()
        for lane in sorted(lanes, key=lambda r: (-r.trucks, -r.survival, r.origin))[: at_most * 3]:
            nodes = [int(self.arrays.nodes[lane.origin_node])]
            nodes += [int(self.arrays.nodes[self.arrays.dst[e]]) for e in lane.edges]
            places: list[str] = []
            for n in nodes:
                name = self.labels.get(n) if n in self.labels.named else None
                if name and self._inside(n) and name in self.gazetteer and name not in places:
                    places.append(name)
            if len(places) < 2 or places[-1] != town or tuple(places) in seen:
                continue
            seen.add(tuple(places))
            refs = [set(self.scenario.G.edges[self.arrays.keys[e]].get("ref") or []) for e in lane.edges]
            shared = set.intersection(*refs) if refs else set()
            out.append((places, sorted(shared)[0] if shared else None))
            if len(out) == at_most:
                break
        return out


def _origin(scenario, timeline, town: str, commodity: str) -> str | None:
    """Where a town's supply of ``commodity`` comes from: its depot (another town), else the supply
    point of its safest lane (as the supply model routes it), else the capital."""
    depot = timeline.chain.get(town, {}).get(commodity)
    if depot and depot not in (town, "supply points"):
        return depot.removesuffix(" depot")
    lanes = timeline.routes.get((town, commodity), [])
    if lanes:
        return max(lanes, key=lambda r: (r.survival, r.trucks)).origin
    if scenario.capital and scenario.capital != town:
        return scenario.capital
    return None
