"""``siege.run``: one scenario on its network → which towns are cut off, how badly, and why.

The analysis is a config (:class:`~siege.scenario.Scenario`), a result (:class:`RunResult`) and this
one function; ``siege run`` mirrors it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from siege import settings
from siege.network.admin import AdminUnit, columns_of
from siege.network.attributes import road_class
from siege.places import Gazetteer, SphereTree, gazetteer_for, snap_places
from siege.scenario import Degradation, Scenario, degrade, load_scenario
from siege.scenario.context import EdgeKey
from siege.solver.arrays import RoadArrays
from siege.solver.flow import chain_chokepoints, chokepoints
from siege.solver.isolation import SupplyInput, TownInput, TownState, solve
from siege.solver.status import severity


@dataclass
class TownResult:
    """One town's answer, in the planner's terms."""

    town: str
    kind: str
    population: int | None
    commodity: str  # the worst-served commodity: demand and throughput are in its units
    demand: float  # its units per day (fuel: tankers, food: trucks)
    status: str
    baseline_status: str
    served_fraction: float
    throughput: float  # trucks/day delivered
    cut_off_from_imports: bool
    cut_off_from_capital: bool
    hours_from_imports: float | None
    baseline_hours_from_imports: float | None
    travel_time_ratio: float | None
    hours_from_capital: float | None
    baseline_hours_from_capital: float | None
    route_survival: float
    supplied_from: str | None
    route: list[str]
    chokepoints: list[str]  # nearest the town first
    chokepoint_capacity: float | None
    lat: float | None
    lon: float | None
    route_edges: list[EdgeKey] = field(default_factory=list, repr=False)
    chokepoint_edges: list[EdgeKey] = field(default_factory=list, repr=False)
    #: each chokepoint's distance from the town (km along its lane), in the order of ``chokepoints``
    chokepoint_km: list[float] = field(default_factory=list)
    #: its region and cercle with P-codes and their COD version (``None`` outside every admin polygon)
    admin: AdminUnit | None = None

    def chokepoints_at(self) -> list[str]:
        """The chokepoints with their distance from the town, as a planner reads them, nearest first."""
        kms = self.chokepoint_km or [float("nan")] * len(self.chokepoints)  # nan: no distance known
        return [
            f"{c} ({'at the town' if km < 0.5 else f'{km:,.0f} km away'})" if km == km else c
            for c, km in zip(self.chokepoints, kms, strict=True)
        ]

    def row(self) -> dict[str, Any]:
        """A flat dictionary for tables (lists joined by ' > ' or '; '), the admin columns after the name."""
        d = {k: v for k, v in asdict(self).items() if k not in ("route_edges", "chokepoint_edges", "admin")}
        d["route"] = " > ".join(self.route)
        d["chokepoints"] = "; ".join(self.chokepoints)
        km = "; ".join(f"{v:g}" for v in d.pop("chokepoint_km"))
        cols = list(d)
        cols.insert(cols.index("chokepoints") + 1, "chokepoint_km")  # beside the segments it measures
        d = {k: km if k == "chokepoint_km" else d[k] for k in cols}
        return {"town": d.pop("town"), **columns_of(self.admin), **d}


@dataclass
class RunResult:
    """Everything a run found; outputs are written from it."""

    scenario: Scenario
    day: dt.date | None
    degradation: Degradation
    towns: list[TownResult]
    edge_flow: dict[EdgeKey, float]
    node_labels: NodeNames
    assumptions: list[str]
    #: what the served fractions and statuses are: the timeline's state on the day (a scenario with a
    #: period: stocks, refills and convoys up to that day) or one steady day (stocks at target, no pulse)
    basis: str = "steady day"

    def town(self, name: str) -> TownResult:
        """The result of one town (accents and case do not matter)."""
        from siege.places import normalize_name

        for t in self.towns:
            if normalize_name(t.town) == normalize_name(name):
                return t
        raise KeyError(name)

    @property
    def changed(self) -> list[TownResult]:
        """Towns whose status differs from the baseline (no events), worst first."""
        towns = [t for t in self.towns if t.status != t.baseline_status]
        return sorted(towns, key=lambda t: (-severity(t.status), t.town))

    def edge_label(self, key: EdgeKey) -> str:
        """E.g. ``RN4 Mourdiah – Nara``."""
        return edge_label(self.scenario.G, key, self.node_labels)


class NodeNames(dict):
    """Names of network nodes for planners, never node ids: a named node's name; any other node
    "4 km NE of Kati" from the nearest named one (or its latitude/longitude on a network with none)."""

    def __init__(self, G: nx.MultiDiGraph, named: dict[int, str]) -> None:
        super().__init__(named)
        self.G = G
        self._named = list(named)
        self.named = frozenset(named)  # nodes with a name of their own (the others are described)
        self._nearest: dict[int, tuple[int, float, float]] | None = None
        self._x = np.array([G.nodes[n]["x"] for n in self._named], dtype=float)
        self._y = np.array([G.nodes[n]["y"] for n in self._named], dtype=float)

    def __missing__(self, node: int) -> str:
        x, y = float(self.G.nodes[node]["x"]), float(self.G.nodes[node]["y"])
        if not self._named:
            name = f"{abs(y):.3f}°{'N' if y >= 0 else 'S'} {abs(x):.3f}°{'E' if x >= 0 else 'W'}"
        else:
            if self._nearest is None:  # every node's nearest named node, in one query
                self._nearest = self._locate_all()
            j, km, azimuth = self._nearest[node]
            place = super().__getitem__(self._named[j])
            direction = _COMPASS[int((azimuth + 22.5) // 45) % 8]
            name = place if km < 0.5 else f"{max(1, round(km))} km {direction} of {place}"
        self[node] = name
        return name

    def _locate_all(self) -> dict[int, tuple[int, float, float]]:
        ids = list(self.G.nodes)
        ys = np.array([self.G.nodes[n]["y"] for n in ids], dtype=float)
        xs = np.array([self.G.nodes[n]["x"] for n in ids], dtype=float)
        j, metres = SphereTree(self._x, self._y).query(xs, ys)
        lat, lon = np.radians(ys), np.radians(xs)
        lat0, lon0 = np.radians(self._y[j]), np.radians(self._x[j])
        # initial great-circle bearing from the named place to the node, degrees from north
        dl = lon - lon0
        bearing = (
            np.degrees(
                np.arctan2(
                    np.sin(dl) * np.cos(lat), np.cos(lat0) * np.sin(lat) - np.sin(lat0) * np.cos(lat) * np.cos(dl)
                )
            )
            % 360
        )
        km = metres / 1000.0
        return dict(zip(ids, zip(j.tolist(), km.tolist(), bearing.tolist(), strict=True), strict=True))


_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def node_labels(G: nx.MultiDiGraph, gazetteer: Gazetteer, scenario: Scenario | None = None) -> NodeNames:
    """Names for network nodes: the scenario's towns and supply points at their nodes, the OSM
    ``name`` tag, a gazetteer place within 1 km, else a distance and direction from the nearest of
    those (see :class:`NodeNames`)."""
    labels = {}
    if scenario is not None:
        for p in [*scenario.on_network, *scenario.supply, *scenario.producers]:
            labels.setdefault(p.node, p.name)
    for n, d in G.nodes(data=True):
        if d.get("name") and n not in labels:
            labels[n] = str(d["name"]).replace(";", "/")
    for s in snap_places(G, gazetteer.located(), max_snap_km=1.0):
        if s.snapped and s.node not in labels:
            labels[s.node] = s.place.name
    return NodeNames(G, labels)


def edge_label(G: nx.MultiDiGraph, key: EdgeKey, labels: NodeNames) -> str:
    """A segment as a planner names it: its road (ref, else street name, else class) and its ends."""
    u, v, k = key
    d = G.edges[u, v, k]
    name = d.get("name") if not G.graph.get("schematic") else None  # bundled names are "A – B": the ends
    name = name[0] if isinstance(name, list) and name else name
    road = (d.get("ref") or [None])[0] or (str(name) if name else f"unnumbered {road_class(d.get('highway'))}")
    return f"{road} {labels[u]} – {labels[v]}"


def assumptions(scenario: Scenario) -> list[str]:
    """The modelling choices a reader of the results must know."""
    items = [
        "Served fraction and status come from the supply model on the evaluation day: each commodity "
        "(networks/mali/commodities.csv) moves along its supply chain ("
        + (
            "networks/mali/supply_chain.csv: fuel straight from the gateways to every town's stations, the "
            "national depot in the capital stocking for the country; food through the OPAM stores"
            if scenario.schematic
            else "the capital the national depot, regional capitals regional depots, other towns drawing on the "
            "nearest; [[supply_chain]] rows say otherwise"
        )
        + "), a town whose supply fails drawing on the other depots and further gateways; under threat "
        f"truckers carry 1 − risk/{settings.REFUSE_RISK:g} of orders (each event on a lane counted once); "
        "blockades, caps, escorts and the allocation policy "
        f"({scenario.allocation['policy']}) act as described in the README.",
        "A town's route, origin, route survival and chokepoints follow its supply chain for its worst-served "
        "commodity: from the supply points for a town they feed, from its depot for the others (whose own "
        "row shows the depot's), or from where it fell back that day. Chokepoints are the minimum cut "
        "nearest the town between those origins and the town, on the lanes its supply takes.",
        "Route survival is the probability that a convoy gets through on that route: Π(1 − risk) over the "
        "events it meets, each event once.",
        "Demand per commodity per networks/mali/commodities.csv (sources there); supply capacities per "
        "networks/mali/supply.csv unless the scenario sets them.",
        "Speeds and capacities by road class × surface are planning assumptions (siege/settings.py).",
        "Status thresholds: " + ", ".join(f"{k} = {v:g}" for k, v in scenario.thresholds.items()) + ".",
    ]
    if any(e.kind == "town_blockade" for e in scenario.events):
        items.append(
            "A town blockade lets in its share s of the town's normal day of traffic (closed: nothing but "
            "convoys). A partial one is a declared threat on every truck bound for the town (a risk of "
            f"(1 − s) × {settings.REFUSE_RISK:g}), so trucks riding with an escort on their lane are let in at "
            f"1 − (1 − s) × the escort's risk factor ({1 - 0.6 * settings.ESCORT_RISK_FACTOR:g} where s = 0.4, "
            f"at the default factor of {settings.ESCORT_RISK_FACTOR:g}), up to the escort's capacity."
        )
    if scenario.schematic:
        from siege.network.source import SCHEMATIC_NOTE

        items.insert(0, SCHEMATIC_NOTE)
    return items + scenario.notes


def _finite(x: float) -> float | None:
    return round(float(x), 2) if math.isfinite(x) else None


def run(
    scenario: Scenario | str | Path,
    *,
    day: dt.date | None = None,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[int], None] | None = None,
    with_chokepoints: bool = True,
    memo=None,
    timeline=None,
) -> RunResult:
    """Run a scenario (object or file path) on its network, against the baseline: no events but the
    season's on that day (the rains, the river's low water), so a town is "changed" by what the scenario
    adds, not by the calendar.

    ``day`` evaluates the events acting that day (default: the scenario's date; all events if none).
    In a scenario with a period that holds ``day``, every town's served fraction and status are the
    timeline's on that day (:func:`siege.supply.simulate` from the period's start: stocks,
    refills and convoys included), so the table, the map and ``timeline.csv`` give one answer;
    otherwise they are one steady day of the supply model (stocks at target, no convoy pulse).
    ``progress`` is called with 1 as each town is solved. ``with_chokepoints=False`` skips the
    per-town minimum cuts (for quick intermediate states). ``memo`` (a
    :class:`~siege.supply.SimulationMemo`) shares solved days between runs of one scenario;
    ``timeline``, the scenario's own run over its period with the routes of ``day``
    (:func:`siege.supply.simulate_period` with ``routes_on=day``), is read for ``day`` instead of
    simulating up to it again (a day's row depends only on the days before it).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, gazetteer=gazetteer)
    gazetteer = gazetteer or gazetteer_for(scenario.G)
    G = scenario.G
    day = day if day is not None else scenario.date
    # the graph is never mutated: its arrays are built once per memo (a memo is one network's), the
    # supply model's own included
    if memo is not None and memo.prepared is not None:
        base = memo.prepared[0]
    else:
        base = _memoised(memo, ("arrays", G), lambda: RoadArrays.from_graph(G))
    pos = base.index
    # "hours from imports" and "cut off from imports" are a town's for the commodity that decides it,
    # from the import points that carry it: Nara's fuel is not 1.4 h from imports because food comes
    # in at Adel Bagrou (a food-only border post) — one road solve per distinct set of import points
    gateways = imports_by_gateways(scenario, pos)
    gateways_of = {c: supplies for supplies, names in gateways.items() for c in names}
    towns = scenario.on_network
    inputs = [TownInput(t.name, pos[t.node], t.demand) for t in towns]
    capital = next((t for t in towns if t.name == scenario.capital), None)
    capital_pos = pos[capital.node] if capital else None

    degradation = degrade(scenario.events, day)
    # the baseline is the normal day of that date: no events but the calendar's (rains, low water)
    seasons = [e for e in scenario.events if e.kind == "season"]

    def baseline_solve(supplies):
        normal = base.degraded(degrade(seasons, day)) if seasons and day is not None else base
        return solve(normal, supplies, inputs, capital=capital_pos, with_chokepoints=False, with_throughput=False)[0]

    # the baseline depends on the network, the supply points, the towns, the day and the calendar's
    # events, never on the scenario's own: a workbench edit reuses it (memo)
    season_key = tuple(e for e in seasons if e.active_on(day)) if day is not None else ()
    base_key = (G, tuple(inputs), capital_pos, day, season_key)
    degraded = base.degraded(degradation)
    before_of, after_of = {}, {}  # by set of import points: the towns' road states
    for supplies in gateways:
        before_of[supplies] = _memoised(memo, ("roads", supplies, base_key), lambda s=supplies: baseline_solve(s))
        after_of[supplies] = solve(
            degraded, supplies, inputs, capital=capital_pos, with_chokepoints=False, with_throughput=False
        )[0]
    if progress:
        for _ in towns:
            progress(1)

    # served fraction and status come from the supply model for that day (commodities, supply chains,
    # threat-limited lanes, blockades); routes, hours and chokepoints from the road solver above
    from siege.supply import simulate, supply_on

    if (
        day is not None
        and scenario.start is not None
        and scenario.end is not None
        and scenario.start <= day <= scenario.end
    ):
        fits = timeline is not None and timeline.start == scenario.start and timeline.routes_day == day
        on_day = timeline if fits else simulate(scenario, end=day, memo=memo)
        frame = on_day.frame[on_day.frame["date"] == day]
        basis = f"the timeline on {day} (simulated from {scenario.start}: stocks, refills and convoys included)"
    else:
        on_day = supply_on(scenario, day, memo=memo)
        frame = on_day.frame
        basis = "one steady day of the supply model (stocks at their targets, no convoy pulse)"
    supplied = frame.groupby("town")
    no_events = _memoised(
        memo,
        ("supply", base_key, scenario.allocation["policy"], tuple(scenario.allocation.get("priority", ()))),
        lambda: supply_on(replace(scenario, events=seasons if day is not None else []), day, memo=memo),
    ).frame.groupby("town")
    active = [e for e in scenario.events if e.active_on(day) and e.DEGRADES]
    # names of nodes depend on the network and the scenario's places, never on its events
    # (the gazetteer is kept with them, so its id in the key is never another's)
    places = tuple((p.name, p.node) for p in [*scenario.on_network, *scenario.supply, *scenario.producers])
    _, labels = _memoised(
        memo, ("labels", G, id(gazetteer), places), lambda: (gazetteer, node_labels(G, gazetteer, scenario))
    )
    keys = base.keys
    results = []
    for k, t in enumerate(towns):
        rows = supplied.get_group(t.name)
        supplies = gateways_of[_decisive(rows)]
        b, a = before_of[supplies][k], after_of[supplies][k]
        a, on_lane = _along_supply_chain(a, rows, on_day.routes, degraded, with_chokepoints)
        if not on_lane:  # the road solver's route from any supply point: count each event once
            a = replace(a, survival=_survival_once(active, {keys[i] for i in a.route_edges}))
            if with_chokepoints and a.reachable and a.route_edges:  # on the route it would take
                route = _Lane(a.route[0], tuple(a.route_edges))
                on_route = np.ones(len(degraded.closed), dtype=bool)
                on_route[a.route_edges] = False
                a = _chokepoints(a, replace(degraded, closed=degraded.closed | on_route), [route])
        results.append(_town_result(t, b, a, scenario, keys, labels, base, rows, no_events.get_group(t.name)))
    # trucks on each segment: the supply model's deliveries of that day, all commodities
    flow = np.zeros(len(keys))
    for lanes in on_day.routes.values():
        for r in lanes:
            if r.trucks > 0:
                flow[list(r.edges)] += r.trucks
    return RunResult(
        scenario=scenario,
        day=day,
        degradation=degradation,
        towns=results,
        edge_flow={keys[i]: round(float(f), 3) for i, f in enumerate(flow) if f > 0},
        node_labels=labels,
        assumptions=assumptions(scenario),
        basis=basis,
    )


def imports_by_gateways(scenario: Scenario, pos) -> dict[tuple[SupplyInput, ...], tuple[str, ...]]:
    """The commodities grouped by the import points that take them in (the scenario's supply points
    that carry each, in the scenario's order): one road solve per group. A commodity none carries (it
    comes from producers only) counts every import point."""
    every = tuple(SupplyInput(s.name, pos[s.node], s.capacity) for s in scenario.supply)
    groups: dict[tuple[SupplyInput, ...], tuple[str, ...]] = {}
    for c in scenario.commodities:
        carried = tuple(x for x, s in zip(every, scenario.supply, strict=True) if c.name in s.commodities)
        groups[carried or every] = (*groups.get(carried or every, ()), c.name)
    return groups


def _memoised(memo, key, make):
    """``make()``, kept in ``memo.baselines`` when a memo is given and the key can be hashed."""
    if memo is None:
        return make()
    try:
        hash(key)
    except TypeError:
        return make()
    return memo.get(memo.baselines, key, make)


def _decisive(rows) -> str:
    """The commodity that decides a town's answer: the worst served (the first in the table on a tie)."""
    return str(rows.iloc[int(np.argmin(rows["served_fraction"].to_numpy()))]["commodity"])


def _along_supply_chain(
    state: TownState, rows, routes, arrays: RoadArrays, with_chokepoints: bool
) -> tuple[TownState, bool]:
    """Route, origin, survival and chokepoints of the town's supply of its decisive commodity, as the
    supply model moves it (from a gateway or producer for a depot, from its depot for the others).

    Returns the state unchanged and ``False`` when the town has no supply lane (no open road)."""
    lanes = routes.get((state.name, _decisive(rows)), [])
    if not lanes:
        return state, False
    best = lanes[0]
    nodes = [best.origin_node, *(int(arrays.dst[e]) for e in best.edges)]
    state = replace(
        state,
        route=nodes,
        route_edges=list(best.edges),
        route_origin=best.origin,
        survival=best.survival,
    )
    if with_chokepoints:
        # the segments that decide the town's supply lie on the lanes it takes (those that carried
        # trucks that day, else all of its lanes), not anywhere between its gateways and itself
        used = [r for r in lanes if r.trucks > 1e-9] or lanes
        on_lanes = np.ones(len(arrays.closed), dtype=bool)
        on_lanes[[e for r in used for e in r.edges]] = False
        state = _chokepoints(state, replace(arrays, closed=arrays.closed | on_lanes), used)
    return state, True


def _chokepoints(state: TownState, arrays: RoadArrays, lanes) -> TownState:
    """The town's chokepoints on its own lanes (``arrays`` open only there), nearest first with their
    distance, and what those lanes can carry at most (their minimum cut's capacity, trucks/day)."""
    town = state.route[-1]
    origins = sorted({r.origin_node for r in lanes})
    cut = chokepoints(arrays, origins, town)
    edges, km = chain_chokepoints(arrays, [r.edges for r in lanes], origins, town, limit=settings.MAX_CHOKEPOINTS)
    return replace(state, cut_edges=edges, cut_capacity=cut.capacity, cut_km=km)


@dataclass(frozen=True)
class _Lane:
    """A route taken as a town's one lane (a town the supply model sends nothing to that day)."""

    origin_node: int
    edges: tuple[int, ...]


def _survival_once(events, route: set) -> float:
    """Probability a convoy gets through a route: each event met counts once, whatever the number of
    its segments the route crosses."""
    return math.prod(1.0 - e.effect.risk for e in events if not e.effect.closed and route & e.edges)


def _worst(statuses) -> str:
    return max(statuses, key=severity)


def _town_result(
    town, before: TownState, after: TownState, scenario, keys, labels, arrays, supply, base_supply
) -> TownResult:
    # travel time against the baseline: infinite once cut off, 1 for a town that is itself a source
    ratio = (after.hours / before.hours if before.hours > 0 else 1.0) if after.reachable else math.inf
    # one rule: the supply model's status of the worst commodity (served fraction, survival on the
    # lane it takes, hours against the baseline, no open road: see siege/solver/status.py)
    decisive = supply.iloc[int(np.argmin(supply["served_fraction"].to_numpy()))]
    served = float(decisive["served_fraction"])
    status = _worst(supply["status"])
    baseline_status = _worst(base_supply["status"])
    is_capital = town.name == scenario.capital
    route_nodes = [int(arrays.nodes[p]) for p in after.route]
    cut = [keys[i] for i in after.cut_edges]
    G = scenario.G
    return TownResult(
        town=town.name,
        kind=town.kind,
        population=town.population,
        commodity=str(decisive["commodity"]),
        demand=round(float(decisive["demand"]), 2),
        status=status,
        baseline_status=baseline_status,
        served_fraction=round(served, 4),
        # delivered for its own needs, in the worst commodity's units (units of commodities never add)
        throughput=round(float(min(1.0, served) * decisive["demand"]), 2),
        cut_off_from_imports=not after.reachable,
        cut_off_from_capital=False if is_capital else not after.reachable_from_capital,
        hours_from_imports=_finite(after.hours),
        baseline_hours_from_imports=_finite(before.hours),
        travel_time_ratio=_finite(ratio),
        hours_from_capital=None if is_capital else _finite(after.hours_from_capital),
        baseline_hours_from_capital=None if is_capital else _finite(before.hours_from_capital),
        route_survival=round(after.survival, 4),
        supplied_from=after.route_origin,
        route=[labels[n] for n in route_nodes if n in labels.named or n in (route_nodes[0], route_nodes[-1])],
        chokepoints=[edge_label(G, k, labels) for k in cut],
        chokepoint_km=list(after.cut_km),
        chokepoint_capacity=_finite(after.cut_capacity) if after.reachable else 0.0,
        lat=town.lat,
        lon=town.lon,
        admin=town.admin,
        route_edges=[keys[i] for i in after.route_edges],
        chokepoint_edges=cut,
    )


def step_days(scenario: Scenario, *, max_steps: int = 8) -> list[dt.date]:
    """The days on which the set of active events changes, up to the scenario's date (that day last).

    Empty for an undated scenario. At most ``max_steps`` days, the latest ones.
    """
    if scenario.date is None:
        return []
    days = {e.start for e in scenario.events if e.start is not None}
    days |= {e.end + dt.timedelta(days=1) for e in scenario.events if e.end is not None}
    before = sorted(d for d in days if d < scenario.date)
    return [*before[-(max_steps - 1) :], scenario.date] if max_steps > 1 else [scenario.date]


def run_steps(
    scenario: Scenario, days: list[dt.date], *, gazetteer: Gazetteer | None = None, memo=None
) -> list[RunResult]:
    """Quick runs (no chokepoints) of the scenario on each of ``days``, for the map's time slider;
    ``memo`` shares the network's arrays, the chain and solved days with the run of the evaluation day."""
    return [run(scenario, day=d, gazetteer=gazetteer, with_chokepoints=False, memo=memo) for d in days]
