"""Interdiction: what an attacker must close, and what a defender should secure first.

- **Attacker's minimum cut** (exact): the cheapest set of segments whose closure isolates a town, a set
  of towns, or the capital from its imports — a minimum cut with segment costs as capacities.
- **Budget–damage curve**: for an attack budget of 1, 2, … k segments, the most served demand
  (trucks/day) that can be denied. Exact with a mixed-integer program (Wood's maximum-flow interdiction
  model, solved by CBC through PuLP) when the network has at most ``milp_limit`` segments; greedy
  beyond (close, k times, the segment whose loss costs the most delivery).
- **Defender**: given an attack budget, which segments to secure (made immune) to keep the most demand
  served. Securing one segment is exact: only a segment in the attacker's optimal plan can help (any
  other leaves that plan available), so each of those is tried. More than one is greedy: secure the
  best one, re-solve the attacker, repeat. Tested against enumeration on small graphs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import maximum_flow

from siege.analyses.criticality import Segments, close_segments, max_delivery
from siege.network.attributes import road_class
from siege.solver.arrays import RoadArrays
from siege.solver.flow import SCALE, FlowNetwork

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
    arrays: RoadArrays, segments: Segments, sources: Sequence[int], targets: Sequence[int], costs: np.ndarray
) -> Cut:
    """The cheapest set of open segments whose closure cuts every target off from every source."""
    cap = np.where(arrays.open, costs[segments.of_edge], 0.0)
    net = FlowNetwork(arrays, cap, [(s, 1.0) for s in sources], [(t, 0.0) for t in targets])
    M = net.matrix(np.full(len(targets), net.big), unlimited_supply=True)
    result = maximum_flow(M, net.source, net.sink, method="dinic")
    if result.flow_value == 0:
        return Cut((), 0.0)  # already cut off
    town_side = net.reachable_in_residual(M, result.flow, to_sink=True)
    crossing = np.flatnonzero(~town_side[arrays.src] & town_side[arrays.dst] & (np.floor(cap * SCALE) > 0))
    chosen = tuple(sorted({int(segments.of_edge[i]) for i in crossing}))
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


def damage_curve(arrays, segments, supplies, towns, max_budget: int, **kwargs) -> list[Attack]:
    """The best attack for every budget from 1 to ``max_budget``."""
    return [best_attack(arrays, segments, supplies, towns, b, **kwargs) for b in range(1, max_budget + 1)]


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


# ---- on a scenario ---------------------------------------------------------------------------------


@dataclass
class InterdictionReport:
    """Attacker's cut, damage curve and defence for named targets of a scenario."""

    scenario: object
    targets: list[str]
    cost: str
    cut: Cut
    curve: list[Attack]
    defence: Defence | None
    segment_keys: list[tuple[int, int, int]]
    labels: list[str]

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
    """Interdiction analysis of ``targets`` (town names; default every town) on the degraded network.

    Segment costs: the ``cost`` basis (default: the scenario's ``[interdiction] cost``, else road class),
    then the scenario's ``[[interdiction.costs]]`` for the segments it prices itself.
    """
    from siege.analyses.isolation import edge_label, node_labels
    from siege.errors import SiegeInputError
    from siege.places import gazetteer_for
    from siege.scenario import degrade

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
    sources = sorted({base.index[s.node] for s in scenario.supply})
    supplies = [(base.index[s.node], s.capacity) for s in scenario.supply]
    from siege.supply import town_demand

    # the supply model's daily demand, all commodities together (trucks and tankers/day)
    demand = dict(zip(towns, town_demand(scenario).sum(axis=1).tolist(), strict=True))
    target_flow = [(base.index[towns[n].node], demand[n]) for n in names]
    cut = attacker_min_cut(arrays, segments, sources, [p for p, _ in target_flow], costs)
    curve = damage_curve(arrays, segments, supplies, target_flow, budget)
    defence = (
        best_defence(arrays, segments, supplies, target_flow, attack_budget=budget, defend=defend) if defend else None
    )
    labels_by_node = node_labels(scenario.G, gazetteer, scenario)
    keys = [base.keys[e[0]] for e in segments.edges]
    return InterdictionReport(
        scenario, names, cost, cut, curve, defence, keys, [edge_label(scenario.G, k, labels_by_node) for k in keys]
    )
