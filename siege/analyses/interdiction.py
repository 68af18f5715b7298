"""Interdiction: what an attacker must close, and what a defender should secure first.

On a scenario (:func:`scenario_interdiction`, ``siege interdict``) every answer is measured on the
supply model ``siege run`` uses (:class:`SupplyDamage`: threats and truckers' refusal, escorts,
commodities, stocks over the period), within the attacker's reach (``[interdiction] within``):

- **Budget–damage curve** (:func:`supply_attacks`): for 1, 2, … k closures, a search on the targets'
  own supply lanes, checked at every budget against the flow model's exact plan below.
- **Protect first** (:func:`supply_defence`): a segment only if protecting it lowers the attacker's
  best reply; otherwise one line saying why.
- **Attacker's minimum cut** (exact, flow model): the cheapest set of segments whose closure isolates
  the targets from their imports — a minimum cut with segment costs as capacities.

The flow-model building blocks: :func:`attacker_min_cut`; :func:`best_attack` (Wood's maximum-flow
interdiction MILP, solved by CBC through PuLP, up to ``milp_limit`` segments; greedy beyond) and
:func:`best_defence` (securing one segment is exact: only a segment of the attacker's optimal plan can
help), tested against enumeration on small graphs.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import maximum_flow

from siege import settings
from siege.analyses.criticality import Segments, close_segments, max_delivery, reached_from
from siege.network.attributes import road_class
from siege.solver.arrays import RoadArrays
from siege.solver.flow import SCALE, FlowNetwork
from siege.solver.status import STATUSES

#: Default cost of closing a segment, by road class: a rough measure of the force an attacker needs
#: (bigger roads carry more traffic and escorts). A planning assumption; ``cost="length"`` (km) and
#: ``cost="uniform"`` (1 per segment) are the alternatives.
CLASS_COST = {"motorway": 4.0, "trunk": 3.0, "primary": 2.0, "secondary": 1.5, "tertiary": 1.0}


def segment_costs(G, arrays: RoadArrays, segments: Segments, how: str = "class") -> np.ndarray:
    """Cost of closing each segment: by road ``class`` (CLASS_COST), by ``length`` (km) or ``uniform``."""
    costs = np.ones(len(segments))
    for s, edges in enumerate(segments.edges):
        d = G.edges[arrays.keys[edges[0]]]
        if how == "class":
            costs[s] = CLASS_COST.get(road_class(d.get("highway")), 1.0)
        elif how == "length":
            costs[s] = max(d["length"] / 1000.0, 0.001)
        elif how != "uniform":
            raise ValueError(f"unknown cost {how!r}")
    return costs


@dataclass(frozen=True)
class Cut:
    segments: tuple[int, ...]
    cost: float


def attacker_min_cut(
    arrays: RoadArrays,
    segments: Segments,
    sources: Sequence[int],
    targets: Sequence[int],
    costs: np.ndarray,
    *,
    immune: frozenset[int] = frozenset(),
) -> Cut:
    """The cheapest set of open segments whose closure cuts every target off from every source;
    ``immune`` segments cannot be closed (out of the attacker's reach). No such set: an empty cut of
    infinite cost."""
    costs = costs.copy()
    if immune:
        costs[sorted(immune)] = float(costs.sum()) * 10 + 1e6  # dearer than every other segment together
    cap = np.where(arrays.open, costs[segments.of_edge], 0.0)
    net = FlowNetwork(arrays, cap, [(s, 1.0) for s in sources], [(t, 0.0) for t in targets])
    M = net.matrix(np.full(len(targets), net.big), unlimited_supply=True)
    result = maximum_flow(M, net.source, net.sink, method="dinic")
    if result.flow_value == 0:
        return Cut((), 0.0)  # already cut off
    town_side = net.reachable_in_residual(M, result.flow, to_sink=True)
    crossing = np.flatnonzero(~town_side[arrays.src] & town_side[arrays.dst] & (np.floor(cap * SCALE) > 0))
    chosen = tuple(sorted({int(segments.of_edge[i]) for i in crossing}))
    if set(chosen) & immune:  # only a segment out of reach would do it
        return Cut((), float("inf"))
    return Cut(chosen, float(sum(costs[s] for s in chosen)))


@dataclass(frozen=True)
class Attack:
    """The best attack for a budget: the segments closed and the demand they deny."""

    budget: int
    segments: tuple[int, ...]
    delivered: float  # trucks/day still delivered
    denied: float  # trucks/day denied
    method: str


def _milp_attack(arrays, segments, supplies, towns, budget: int, immune: set[int]) -> tuple[tuple[int, ...], float]:
    """Wood's max-flow interdiction MILP: minimise the maximum flow left after closing ≤ budget segments."""
    import pulp

    n = arrays.n
    S, T = n, n + 1
    arcs = []  # (i, j, capacity, segment or None)
    cap = arrays.effective_capacity
    for i in np.flatnonzero(cap > 0):
        arcs.append((int(arrays.src[i]), int(arrays.dst[i]), float(cap[i]), int(segments.of_edge[i])))
    for node, c in supplies:
        arcs.append((S, int(node), float(c), None))
    demand: dict[int, float] = {}
    for node, d in towns:
        demand[int(node)] = demand.get(int(node), 0.0) + float(d)
    arcs += [(node, T, d, None) for node, d in demand.items()]
    prob = pulp.LpProblem("interdiction", pulp.LpMinimize)

    def var(name: str, **kw):
        # PuLP 3 deprecates free-standing variables in favour of prob.add_variable
        return prob.add_variable(name, **kw) if hasattr(prob, "add_variable") else pulp.LpVariable(name, **kw)

    nodes = {a for arc in arcs for a in arc[:2]}
    pi = {v: var(f"p{v}", cat="Binary") for v in nodes}
    segs = sorted({a[3] for a in arcs if a[3] is not None and a[3] not in immune})
    x = {s: var(f"x{s}", cat="Binary") for s in segs}
    beta = [var(f"b{k}", lowBound=0) for k in range(len(arcs))]
    gamma = [var(f"g{k}", lowBound=0) if a[3] in x else None for k, a in enumerate(arcs)]
    prob += pulp.lpSum(a[2] * beta[k] for k, a in enumerate(arcs))
    prob += pi[S] == 1
    prob += pi[T] == 0
    for k, (i, j, _, s) in enumerate(arcs):
        if gamma[k] is not None:
            prob += beta[k] + gamma[k] >= pi[i] - pi[j]
            prob += gamma[k] <= x[s]
        else:
            prob += beta[k] >= pi[i] - pi[j]
    prob += pulp.lpSum(x.values()) <= budget
    with warnings.catch_warnings():
        # the CBC binary bundled with PuLP < 4 (PULP_CBC_CMD) is what needs no separate install
        warnings.simplefilter("ignore", DeprecationWarning)
        prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[prob.status] != "Optimal":
        raise RuntimeError(f"interdiction MILP: {pulp.LpStatus[prob.status]}")
    chosen = tuple(sorted(s for s, var in x.items() if var.value() and var.value() > 0.5))
    return chosen, float(pulp.value(prob.objective))


def _greedy_attack(arrays, segments, supplies, towns, budget: int, immune: set[int]) -> tuple[int, ...]:
    chosen: list[int] = []
    current = arrays
    for _ in range(budget):
        candidates = [s for s in segments.open(current) if s not in immune and s not in chosen]
        if not candidates:
            break
        best = min(candidates, key=lambda s: (max_delivery(close_segments(current, segments, [s]), supplies, towns), s))
        chosen.append(best)
        current = close_segments(current, segments, [best])
    return tuple(sorted(chosen))


def best_attack(
    arrays: RoadArrays,
    segments: Segments,
    supplies,
    towns,
    budget: int,
    *,
    immune: set[int] | None = None,
    milp_limit: int = 2000,
    method: str | None = None,
) -> Attack:
    """The most damaging closure of at most ``budget`` segments (``immune`` ones cannot be closed)."""
    immune = immune or set()
    base = max_delivery(arrays, supplies, towns)
    method = method or ("exact" if len(segments) <= milp_limit else "greedy")
    if method == "exact":
        chosen, _ = _milp_attack(arrays, segments, supplies, towns, budget, immune)
    else:
        chosen = _greedy_attack(arrays, segments, supplies, towns, budget, immune)
    left = max_delivery(close_segments(arrays, segments, chosen), supplies, towns)
    return Attack(budget, chosen, round(float(left), 3), round(float(base - left), 3), method)


@dataclass(frozen=True)
class Defence:
    """Segments to secure first, and what the attacker can still deny."""

    secured: tuple[int, ...]
    attack: Attack  # the attacker's best reply to the defence
    unprotected: Attack  # the attacker's best with nothing secured
    method: str


def best_defence(arrays, segments, supplies, towns, *, attack_budget: int, defend: int, **kwargs) -> Defence:
    """Which ``defend`` segments to secure against an attacker with ``attack_budget`` segments."""
    unprotected = best_attack(arrays, segments, supplies, towns, attack_budget, **kwargs)
    secured: list[int] = []
    reply = unprotected
    for _ in range(defend):
        if not reply.segments:
            break
        options = [
            (best_attack(arrays, segments, supplies, towns, attack_budget, immune={*secured, s}, **kwargs), s)
            for s in reply.segments
        ]
        reply, s = min(options, key=lambda o: (o[0].denied, o[1]))
        secured.append(s)
    method = "exact" if defend == 1 and unprotected.method == "exact" else "greedy (one segment at a time)"
    return Defence(tuple(secured), reply, unprotected, method)


# ---- on a scenario: the supply model run uses -------------------------------------------------------


def reachable(scenario, arrays: RoadArrays, segments: Segments) -> np.ndarray:
    """Per segment, whether the attacker can act on it: the scenario's ``[interdiction] within`` (a
    polygon: any part of the segment in it; a set of roads), by default the capital's country."""
    import shapely

    within = scenario.interdiction.get("within")
    if within is None:
        return np.ones(len(segments), dtype=bool)
    if isinstance(within, frozenset):
        return np.array([any(arrays.keys[e] in within for e in edges) for edges in segments.edges], dtype=bool)
    G = scenario.G
    lines = [G.edges[arrays.keys[edges[0]]]["geometry"] for edges in segments.edges]
    return np.asarray(shapely.intersects(np.array(lines, dtype=object), within), dtype=bool)


@dataclass(frozen=True)
class Damage:
    """What a plan does to the targets, measured as ``siege run`` measures it.

    ``score``: short person-days of the targets over the period (population × days on which a
    commodity runs short), or on a scenario without a period, people of the targets left unserved
    that day (population × (1 − served fraction of the worst commodity)). Unknown populations count
    as ``settings.UNKNOWN_POPULATION``, as demand does."""

    score: float
    short_town_days: int  # period: town-days short; one day: targets short that day
    served: tuple[float, ...]  # per target: run's served fraction on the evaluation day
    status: tuple[str, ...]  # per target: run's status that day
    lanes: frozenset[int] = frozenset()  # segments the targets' supply used that day (search measure)
    #: population × (1 − served fraction of the worst commodity), summed over the days measured: what
    #: breaks the search's ties when a closure deepens a shortage without adding a short day
    unserved: float = 0.0


class SupplyDamage:
    """Plans (sets of segments closed by the attacker) measured on the supply model, memoised.

    ``search`` measures one day (the evaluation day: a steady day of the supply model), cheap enough
    to try every candidate segment; ``final`` measures as ``run`` does: over the period when the
    scenario has one (the plan closing its segments from the period's start), else that day."""

    def __init__(self, scenario, arrays: RoadArrays, segments: Segments, targets: Sequence[str]) -> None:
        from siege.supply import SimulationMemo

        self.scenario, self.arrays, self.segments, self.targets = scenario, arrays, segments, list(targets)
        self.memo = SimulationMemo()
        towns = {t.name: t for t in scenario.on_network}
        self.people = np.array([towns[n].population or settings.UNKNOWN_POPULATION for n in self.targets], dtype=float)
        self.node_town = {arrays.index[t.node]: t.name for t in scenario.on_network}
        self._search: dict[frozenset[int], Damage] = {}
        self._final: dict[frozenset[int], Damage] = {}

    def variant(self, plan: frozenset[int]):
        """The scenario with the plan's closures added as one cut event."""
        from dataclasses import replace

        from siege.scenario.effects import Effect
        from siege.scenario.events import EVENT_KINDS

        if not plan:
            return self.scenario
        keys = frozenset(self.arrays.keys[e] for s in sorted(plan) for e in self.segments.edges[s])
        s = self.scenario
        cut = EVENT_KINDS["cut"](
            index=len(s.events), kind="cut", label=f"attacker's plan ({len(plan)} segments)", start=s.start,
            end=s.end, effect=Effect(closed=True), source="siege interdict", note="the attacker's plan", edges=keys,
        )  # fmt: skip
        return replace(s, events=[*s.events, cut])

    def search(self, plan: frozenset[int]) -> Damage:
        """The search's measure: on a scenario with a period, the ``INTERDICTION_SEARCH_DAYS`` days up to
        the evaluation day (stocks run down: a cut depot shows), else that one steady day."""
        if plan not in self._search:
            from siege.supply import simulate, supply_on

            s = self.scenario
            if s.start is not None and s.end is not None:
                end = s.date if s.date is not None and s.start <= s.date <= s.end else s.end
                start = max(s.start, end - dt.timedelta(days=settings.INTERDICTION_SEARCH_DAYS - 1))
                window = simulate(self.variant(plan), start=start, end=end, memo=self.memo)
                self._search[plan] = self._damage(window, window, with_lanes=True)
            else:
                day = supply_on(self.variant(plan), s.date, memo=self.memo)
                self._search[plan] = self._damage(day, None, with_lanes=True)
        return self._search[plan]

    def final(self, plan: frozenset[int]) -> Damage:
        s = self.scenario
        if s.start is None or s.end is None:
            return self.search(plan)
        if plan not in self._final:
            from siege.supply import simulate

            timeline = simulate(self.variant(plan), memo=self.memo)
            self._final[plan] = self._damage(timeline, timeline, with_lanes=False)
        return self._final[plan]

    def _damage(self, day, timeline, *, with_lanes: bool) -> Damage:
        frame = day.frame
        if timeline is not None:  # run's answer on the evaluation day is the timeline's that day
            when = self.scenario.date if self.scenario.date in set(frame["date"]) else frame["date"].max()
            frame = frame[frame["date"] == when]
        rows = frame[frame["town"].isin(self.targets)].groupby("town")
        served = np.array([float(rows.get_group(n)["served_fraction"].min()) for n in self.targets])
        status = tuple(max(rows.get_group(n)["status"], key=STATUSES.index) for n in self.targets)
        if timeline is not None:
            short = timeline.frame[timeline.frame["town"].isin(self.targets) & timeline.frame["short"]]
            days = short.groupby("town")["date"].nunique()
            per_town = np.array([float(days.get(n, 0)) for n in self.targets])
            score, town_days = float(per_town @ self.people), int(per_town.sum())
        else:
            score = float(np.clip(1.0 - served, 0.0, 1.0) @ self.people)
            town_days = int((served < 1.0 - settings.SHORT_TOLERANCE).sum())  # one day: targets not fully served
        lanes = frozenset(self._lanes(day.routes)) if with_lanes else frozenset()
        if timeline is not None:
            every = timeline.frame[timeline.frame["town"].isin(self.targets)]
            worst = (
                every.groupby(["town", "date"])["served_fraction"]
                .min()
                .groupby("town")
                .apply(lambda x: float(np.clip(1.0 - x, 0.0, 1.0).sum()))
            )
            unserved = float(np.array([worst.get(n, 0.0) for n in self.targets]) @ self.people)
        else:
            unserved = score
        served_t = tuple(np.round(served, 4).tolist())
        return Damage(round(score, 1), town_days, served_t, status, lanes, round(unserved, 1))

    def _lanes(self, routes) -> set[int]:
        """Segments of the lanes that carried the targets' supply that day, and those of the depots
        they draw from (their own supply chain, upstream included)."""
        out: set[int] = set()
        todo, seen = list(self.targets), set()
        while todo:
            town = todo.pop()
            if town in seen:
                continue
            seen.add(town)
            for (name, _), lanes in routes.items():
                if name != town:
                    continue
                for lane in lanes:
                    if lane.trucks > 1e-9:
                        out.update(int(self.segments.of_edge[e]) for e in lane.edges)
                        if lane.origin_node in self.node_town:  # from a depot: its own supply too
                            todo.append(self.node_town[lane.origin_node])
        return out


@dataclass(frozen=True)
class SupplyAttack:
    """The attacker's plan for a budget, and its damage as run measures it."""

    budget: int
    segments: tuple[int, ...]
    damage: Damage  # final measure (over the period when there is one)
    method: str


def _rank(damage: Damage) -> tuple[float, float]:
    """How the search orders plans: short person-days, then person-days unserved."""
    return damage.score, damage.unserved


def supply_attacks(
    measure: SupplyDamage,
    budget: int,
    *,
    allowed: np.ndarray,
    immune: frozenset[int] = frozenset(),
    flow_plan: Callable[[int, frozenset[int]], tuple[int, ...]] | None = None,
    final: bool = True,
) -> list[SupplyAttack]:
    """The attacker's best plan for every budget from 1 to ``budget`` on the supply model (a greedy
    search: each step closes the segment of the targets' current supply lanes whose closure adds the
    most damage, so the attacker answers the rerouting its own cuts cause); the flow model's best plan
    of the same size (``flow_plan(b, immune)``: Wood's interdiction MILP, exact on the flow model) is
    kept instead when the supply model finds it more damaging (it finds the pairs and triples a
    step-by-step search misses where no single closure does harm).
    Only ``allowed`` segments (the attacker's reach) that are not ``immune`` are ever closed. With
    ``final=False`` the damages are the search's (the evaluation day) and only the last is final."""
    plan: frozenset[int] = frozenset()
    out: list[SupplyAttack] = []
    for b in range(1, budget + 1):
        here = measure.search(plan)
        candidates = sorted(s for s in here.lanes - plan - immune if allowed[s])
        if candidates:
            # most short person-days; among equal, the deepest shortage (a target short every day of
            # the window either way can still lose what it receives)
            best = max(candidates, key=lambda s: (*_rank(measure.search(plan | {s})), -s))
            if _rank(measure.search(plan | {best})) > _rank(here):
                plan = plan | {best}
        method = "greedy on the supply model"
        chosen = plan
        if flow_plan is not None:
            alt = frozenset(flow_plan(b, immune))
            usable = alt and not (alt & immune) and all(allowed[s] for s in alt)
            if usable and _rank(measure.search(alt)) > _rank(measure.search(chosen)):
                chosen, method = alt, "flow-model plan, measured on the supply model"
        damage = measure.final(chosen) if final or b == budget else measure.search(chosen)
        out.append(SupplyAttack(b, tuple(sorted(chosen)), damage, method))
        plan = chosen
    return out


@dataclass(frozen=True)
class SupplyDefence:
    """What to protect first, if anything helps, and why not when nothing does."""

    secured: tuple[int, ...]
    attack: SupplyAttack  # the attacker's best reply to the defence
    unprotected: SupplyAttack
    advice: str  # one line
    together: tuple[int, ...] = ()  # segments that help only protected together


def supply_defence(
    measure: SupplyDamage, budget: int, defend: int, *, allowed: np.ndarray, labels, flow_plan=None
) -> SupplyDefence:
    """Protect-first advice under the attacker's best response: a segment is advised only if, once it
    is protected (the attacker cannot close it), the attacker's best plan does less damage. Only a
    segment of the unprotected plan can help (any other leaves that plan available), so each is
    tried; more than one is chosen greedily. When none helps, one line says why, and whether the
    segments of the attacker's equally damaging plans help when protected together."""

    def best(immune: frozenset[int]) -> SupplyAttack:
        return supply_attacks(measure, budget, allowed=allowed, immune=immune, flow_plan=flow_plan, final=False)[-1]

    unprotected = best(frozenset())
    secured: frozenset[int] = frozenset()
    reply = unprotected
    tried: list[SupplyAttack] = []
    for _ in range(defend):
        options = [(best(secured | {s}), s) for s in reply.segments]
        tried += [o for o, _ in options]
        if not options:
            break
        answer, s = min(options, key=lambda o: (o[0].damage.score, o[1]))
        if answer.damage.score >= reply.damage.score:
            break  # protecting any one more segment changes nothing
        secured, reply = secured | {s}, answer
    if secured:
        advice = (
            f"protect {'; '.join(labels[s] for s in sorted(secured))}: the attacker's best reply then does "
            f"{reply.damage.score:,.0f} instead of {unprotected.damage.score:,.0f}"
        )
        return SupplyDefence(tuple(sorted(secured)), reply, unprotected, advice)
    if not unprotected.segments:
        return SupplyDefence(
            (), unprotected, unprotected,
            "nothing to protect: no cut within the attacker's reach adds to what the scenario's own events do "
            f"(damage {unprotected.damage.score:,.0f} without any); lifting those events is what would help",
        )  # fmt: skip
    # nothing helps alone: for each segment protected the attacker has another plan as damaging;
    # whether the segments of all those plans help protected together
    plans = {unprotected.segments, *(o.segments for o in tried)}
    union = frozenset(s for p in plans for s in p)
    together = best(union)
    head = (
        f"no single segment helps: for each of the {len(unprotected.segments)} segments of its plan protected, the "
        f"attacker has another as damaging ({len(plans) - 1} other plan(s) found)"
    )
    if together.damage.score < unprotected.damage.score:
        advice = (
            f"{head}; protect these {len(union)} together: {'; '.join(labels[s] for s in sorted(union))} "
            f"(the attacker's best reply then does {together.damage.score:,.0f} instead of "
            f"{unprotected.damage.score:,.0f})"
        )
        return SupplyDefence((), unprotected, unprotected, advice, tuple(sorted(union)))
    advice = f"{head}; protecting all {len(union)} of their segments together does not lower it either"
    return SupplyDefence((), unprotected, unprotected, advice)


# ---- on a scenario ---------------------------------------------------------------------------------


@dataclass
class InterdictionReport:
    """Attacker's cut, damage curve and protect-first advice for named targets of a scenario."""

    scenario: object
    targets: list[str]
    cost: str
    cut: Cut
    curve: list[SupplyAttack]
    defence: SupplyDefence | None
    segment_keys: list[tuple[int, int, int]]
    labels: list[str]
    reach: str = "anywhere"  # where the attacker acts, in words
    measure: str = ""  # what a plan's damage counts, in words
    baseline: Damage | None = None  # the scenario's own damage to the targets, no plan
    #: the measure's solved days and lanes: the outputs' run of the scenario reuses them
    memo: object = field(default=None, repr=False, compare=False)
    #: the commodities ``cut`` isolates the targets from, when not all (a food-only post stays open)
    cut_commodities: tuple[str, ...] = ()

    def names(self, ids) -> list[str]:
        return [self.labels[s] for s in ids]


def scenario_interdiction(
    scenario,
    *,
    targets: Sequence[str] | None = None,
    budget: int = 3,
    defend: int = 1,
    cost: str | None = None,
    gazetteer=None,
) -> InterdictionReport:
    """Interdiction of ``targets`` (town names; default every town) on the supply model ``run`` uses.

    The attacker closes at most ``budget`` segments within its reach (``[interdiction] within``,
    default the capital's country) on top of the scenario's events; a plan's damage is measured as
    ``run`` measures it (threats, truckers' refusal, escorts, commodities, stocks over the period:
    :class:`SupplyDamage`). The cheapest cut isolating the targets is the flow model's (segment costs:
    the ``cost`` basis, default the scenario's ``[interdiction] cost``, else road class, then its
    ``[[interdiction.costs]]``), within the same reach.
    """
    from siege.analyses.isolation import edge_label, imports_by_gateways, node_labels
    from siege.errors import SiegeInputError
    from siege.places import gazetteer_for
    from siege.scenario import degrade
    from siege.supply import town_demand

    gazetteer = gazetteer or gazetteer_for(scenario.G)
    base = RoadArrays.from_graph(scenario.G)
    arrays = base.degraded(degrade(scenario.events, scenario.date))
    segments = Segments.of(arrays)
    cost = cost or scenario.interdiction["cost"]
    costs = segment_costs(scenario.G, arrays, segments, cost)
    for keys, value in scenario.interdiction["overrides"]:
        for s_id, edges in enumerate(segments.edges):
            if any(arrays.keys[e] in keys for e in edges):
                costs[s_id] = value
    towns = {t.name: t for t in scenario.on_network}
    names = [gazetteer.get(n, f"--target {n}").name for n in targets] if targets else list(towns)
    for n in names:
        if n not in towns:
            raise SiegeInputError(f"--target {n}", "not one of the scenario's towns on the network")
    allowed = reachable(scenario, arrays, segments)
    outside = frozenset(int(s) for s in np.flatnonzero(~allowed))
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    # the flow model: the cheapest isolating cut, and plans offered to the supply model's search
    demand = dict(zip(towns, town_demand(scenario).sum(axis=1).tolist(), strict=True))
    target_flow = [(base.index[towns[n].node], demand[n]) for n in names]
    # isolating the targets from one commodity's gateways is a siege: the cheapest over the sets of
    # gateways (cutting Nara from its fuel needs no closure of Adel Bagrou, a food-only post)
    gateways = {tuple(sorted({x.node for x in g})): c for g, c in imports_by_gateways(scenario, base.index).items()}
    target_nodes = [p for p, _ in target_flow]
    cut = min(
        (attacker_min_cut(arrays, segments, list(nodes), target_nodes, costs, immune=outside) for nodes in gateways),
        key=lambda c: (c.cost, len(c.segments)),
    )
    # the commodities that cut isolates them from (one cut may shut several sets of gateways)
    after = close_segments(arrays, segments, cut.segments)
    cut_commodities = [
        c
        for nodes, names_ in gateways.items()
        if not reached_from(after, list(nodes))[target_nodes].any()
        for c in names_
    ]

    @functools.cache
    def flow_plan(b: int, immune: frozenset[int]) -> tuple[int, ...]:
        return best_attack(arrays, segments, supplies, target_flow, b, immune={*outside, *immune}).segments

    labels_by_node = node_labels(scenario.G, gazetteer, scenario)
    keys = [base.keys[e[0]] for e in segments.edges]
    labels = [edge_label(scenario.G, k, labels_by_node) for k in keys]
    measure = SupplyDamage(scenario, arrays, segments, names)
    curve = supply_attacks(measure, budget, allowed=allowed, flow_plan=flow_plan)
    defence = (
        supply_defence(measure, budget, defend, allowed=allowed, labels=labels, flow_plan=flow_plan) if defend else None
    )
    period = scenario.start is not None and scenario.end is not None
    what = (
        f"short person-days of the targets over {scenario.start} to {scenario.end} (population × days on which a "
        "commodity runs short), the plan's closures acting from the period's start"
        if period
        else f"people of the targets left unserved on {scenario.date or 'the day all events act'} (population × "
        "(1 − served fraction of the worst commodity))"
    )
    return InterdictionReport(
        scenario, names, cost, cut, curve, defence, keys, labels,
        reach=scenario.interdiction.get("reach", "anywhere"), measure=what, baseline=measure.final(frozenset()),
        memo=measure.memo,
        cut_commodities=() if len(cut_commodities) == len(scenario.commodities) else tuple(cut_commodities),
    )  # fmt: skip
