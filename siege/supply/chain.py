"""The supply chain: per commodity, who holds stock for whom and where each town draws its supply.

Built once per scenario from the network with no events, from the scenario's chain rules
(:mod:`siege.scenario.supply_chain`; on the bundled network ``networks/mali/supply_chain.csv``):

- a town **fed by supply points** draws on the gateways (and producing regions) carrying the
  commodity within its catchment (routes at most ``CATCHMENT_FACTOR`` × its fastest one: its usual
  corridors), reaching on to the next ones while the catchment cannot carry its area's normal day;
- a town **supplied by a depot** draws on that depot, which orders for it;
- when a town's supply fails it falls back, at the extra hours, on the other **depots** of the
  commodity (nearest first) and on the **supply points** directly (for a town fed by supply points:
  the gateways beyond its catchment).

A depot holds stock for its **area**: itself, the towns it supplies (directly or not) and the towns fed
by supply points that fall back on it first. On the bundled network that makes Bamako's fuel depot the
country's (every station falls back on it), as its storage is (distribution.csv).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from siege import settings
from siege.errors import SiegeInputError
from siege.network.modes import ROAD_MODES
from siege.scenario import Scenario
from siege.scenario.supply_chain import default_role, rule_for
from siege.solver.arrays import RoadArrays
from siege.solver.routes import fastest_from

NATIONAL, REGIONAL, RETAIL = "national_depot", "regional_depot", "retail"
#: what TimelineResult.chain says of a town fed straight from the supply points
SUPPLY_POINTS = "supply points"


@dataclass(frozen=True)
class Chain:
    """Who supplies whom, per (town, commodity)."""

    role: np.ndarray  # (town, commodity): NATIONAL, REGIONAL or RETAIL: what it stocks
    supplier: np.ndarray  # (town, commodity): the town whose depot it draws on; itself if fed by supply points
    #: (town fed by supply points, commodity) -> the supply points of its catchment
    sources: dict[tuple[int, int], list[int]]
    #: (town, commodity) -> supply points it draws on directly when its supply fails
    fallback: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    #: (town, commodity) -> other depots it draws on when its supply fails, nearest first
    depot_fallback: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    @property
    def depots(self) -> list[int]:
        """Towns holding a depot of at least one commodity."""
        return sorted(int(i) for i in np.flatnonzero((self.role != RETAIL).any(axis=1)))

    def is_depot(self) -> np.ndarray:
        """(town, commodity): the town holds a depot of the commodity."""
        return self.role != RETAIL

    def is_root(self) -> np.ndarray:
        """(town, commodity): the town is fed by supply points."""
        return self.supplier == np.arange(len(self.supplier))[:, None]

    def depth(self) -> np.ndarray:
        """(town, commodity): links between the town and the supply points."""
        T, C = self.supplier.shape
        return np.array([[len(_above(self.supplier[:, c], i)) for c in range(C)] for i in range(T)], dtype=int)

    def area(self, demand: np.ndarray) -> np.ndarray:
        """(town, commodity): the demand a town stocks for: a depot's own, its towns' (directly or not)
        and that of the towns fed by supply points that fall back on it first; any other town's own."""
        T, C = demand.shape
        out = demand.astype(float).copy()
        is_root, is_depot = self.is_root(), self.is_depot()
        for c in range(C):
            for i in range(T):
                for j in _above(self.supplier[:, c], i):
                    out[j, c] += demand[i, c]
                first = self.depot_fallback.get((i, c), [])
                if is_root[i, c] and not is_depot[i, c] and first:
                    out[first[0], c] += demand[i, c]
        return out

    def supplier_names(self, names: list[str], commodities: list[str]) -> dict[str, dict[str, str]]:
        """Town -> commodity -> the depot it draws on (its own name for a depot fed by supply points),
        or ``supply points``."""
        out: dict[str, dict[str, str]] = {}
        for i, n in enumerate(names):
            for c, cn in enumerate(commodities):
                j = int(self.supplier[i, c])
                own = j == i
                out.setdefault(n, {})[cn] = (n if self.role[i, c] != RETAIL else SUPPLY_POINTS) if own else names[j]
        return out


def capacity_for(point, commodity: str) -> float:
    """What a supply point can send of one commodity a day: its cap for it, else its capacity."""
    return min([point.capacity, *(cap for name, cap in point.by_commodity if name == commodity)])


def town_demand(scenario: Scenario) -> np.ndarray:
    """Demand per day of every town on the network (rows) and commodity (columns): the commodity's rule
    on the town's population; on the bundled network a commodity with a national figure (fuel) is
    scaled so that the towns carry the country's demand, each in proportion to its population; the
    scenario's ``[demand.COMMODITY]`` values override."""
    towns = scenario.on_network
    unknown_pop = scenario.raw.get("demand", {}).get("unknown_population", settings.UNKNOWN_POPULATION)
    demand = np.array([[c.demand(t.population, unknown_pop) for c in scenario.commodities] for t in towns])
    for k, c in enumerate(scenario.commodities):
        if c.national_per_day and scenario.schematic and len(towns):
            people = np.array([t.population or unknown_pop for t in towns], dtype=float)
            demand[:, k] = np.maximum(c.min_per_day, c.national_per_day * people / people.sum())
    for i, t in enumerate(towns):
        for k, c in enumerate(scenario.commodities):
            if c.name in scenario.commodity_demand.get(t.name, {}):
                demand[i, k] = scenario.commodity_demand[t.name][c.name]
    return demand


def build_chain(scenario: Scenario, base: RoadArrays, points) -> Chain:
    """Each town's role and supplier per commodity (the scenario's chain rules), each town's catchment
    of supply points and the depots and supply points it falls back on."""
    towns = scenario.on_network
    names = [t.name for t in towns]
    T, C = len(towns), len(scenario.commodities)
    pos = base.index
    # the usual corridors are the trucks' roads: a boat carries too little to make a gateway a town's
    # usual one (the river is a lane beside the road, see siege/supply/lanes.py)
    if base.mode is not None:
        base = base.only(ROAD_MODES)
    town_nodes = [pos[t.node] for t in towns]
    capital = scenario.capital

    @functools.cache
    def hours_from(i: int) -> np.ndarray:  # road hours from a town to every town
        return fastest_from(base, [town_nodes[i]]).dist[town_nodes]

    role = np.empty((T, C), dtype=object)
    how = np.empty((T, C), dtype=object)
    for c, commodity in enumerate(scenario.commodities):
        for i, t in enumerate(towns):
            r = rule_for(scenario.supply_chain, commodity.name, t.name)
            role[i, c] = r.role if r else default_role(t, capital)
            how[i, c] = r.supplied_by if r else ("auto" if role[i, c] != RETAIL else "nearest_depot")
        if not (role[:, c] != RETAIL).any():
            # no depot of the commodity among the towns: each town stocks and draws for itself
            near = how[:, c] == "nearest_depot"
            role[near, c], how[near, c] = REGIONAL, "supply_points"
    supplier = np.tile(np.arange(T)[:, None], (1, C))
    demand = town_demand(scenario)
    sources: dict[tuple[int, int], list[int]] = {}
    fallback: dict[tuple[int, int], list[int]] = {}
    depot_fallback: dict[tuple[int, int], list[int]] = {}
    for c, commodity in enumerate(scenario.commodities):
        carriers = [j for j, p in enumerate(points) if commodity.name in p.commodities]
        depots_c = [i for i in range(T) if role[i, c] != RETAIL]
        dist = (
            np.array([fastest_from(base, [pos[points[j].node]]).dist for j in carriers])
            if carriers
            else np.zeros((0, len(base.nodes)))
        )  # carriers × nodes
        for i in range(T):
            rule = how[i, c]
            if rule in names:
                supplier[i, c] = names.index(rule)
            elif rule == "nearest_depot":
                others = [d for d in depots_c if d != i]
                h = np.array([hours_from(d)[i] for d in others])
                if len(others) and np.isfinite(h).any():
                    supplier[i, c] = others[int(np.argmin(h))]
            elif rule == "auto" and capital in names and names.index(capital) != i and carriers:
                # a depot whose fastest route from the supply points runs through the capital draws on
                # the national depot
                cap_i = names.index(capital)
                if role[cap_i, c] != RETAIL:
                    routes = fastest_from(base, [pos[points[j].node] for j in carriers])
                    if town_nodes[cap_i] in routes.path(town_nodes[i])[1:-1]:
                        supplier[i, c] = cap_i
        _check_acyclic(supplier[:, c], names, commodity.name, scenario)
        root_of = np.array([(_above(supplier[:, c], i) or [i])[-1] for i in range(T)])
        capacity = np.array([capacity_for(points[j], commodity.name) for j in carriers])
        for i in range(T):
            h = dist[:, town_nodes[i]] if carriers else np.zeros(0)
            reach = np.isfinite(h)
            best = float(h[reach].min()) if reach.any() else np.inf
            limit = max(best * settings.CATCHMENT_FACTOR, best + 1e-9)
            near = [int(k) for k in np.flatnonzero(reach & (h <= limit))]
            if supplier[i, c] == i:
                # a catchment that cannot carry its area's normal day (a small airstrip nearest to the
                # capital) reaches on to the next gateways, nearest first, until it can
                need = float(demand[root_of == i, c].sum())
                for k in np.argsort(h, kind="stable"):
                    if capacity[near].sum() >= need or not reach[k]:
                        break
                    if k not in near:
                        near.append(int(k))
                if near:
                    sources[(i, c)] = [carriers[k] for k in sorted(near)]
                # beyond its catchment, the next gateways, nearest first (a few: the lanes cost time)
                further = [carriers[k] for k in np.argsort(h, kind="stable") if reach[k] and k not in near]
                further = sorted(further[: settings.FALLBACK_GATEWAYS])
                if further:
                    fallback[(i, c)] = further
            elif near:
                fallback[(i, c)] = [carriers[k] for k in near]
            # the other depots of the commodity, nearest first, within the catchment factor of the nearest
            if role[i, c] == RETAIL:
                others = [d for d in depots_c if d != i and d != supplier[i, c]]
                h_d = np.array([hours_from(d)[i] for d in others])
                if len(others) and np.isfinite(h_d).any():
                    lim = h_d[np.isfinite(h_d)].min() * settings.CATCHMENT_FACTOR + 1e-9
                    order = np.argsort(h_d, kind="stable")
                    depot_fallback[(i, c)] = [others[k] for k in order if h_d[k] <= lim]
    return Chain(role, supplier, sources, fallback, depot_fallback)


def _above(supplier: np.ndarray, i: int) -> list[int]:
    """The towns above ``i`` in its chain of one commodity, its supplier first, up to the town fed by
    supply points (empty for that town itself)."""
    out, j = [], i
    while supplier[j] != j:
        j = int(supplier[j])
        out.append(j)
    return out


def _check_acyclic(supplier: np.ndarray, names: list[str], commodity: str, scenario: Scenario) -> None:
    for i in range(len(supplier)):
        seen = {i}
        j = i
        while supplier[j] != j:
            j = int(supplier[j])
            if j in seen:
                raise SiegeInputError(
                    f"{scenario.path or 'scenario'}: supply_chain",
                    f"{commodity} goes round in a circle through {names[i]} (expected a chain ending at supply points)",
                )
            seen.add(j)
