"""The siege through time: commodities moving along supply chains, day by day, with stocks.

The supply chain (built once from the network with no events):

- **supply points** carry commodities (``networks/mali/commodities.csv``): import gateways carry
  fuel and food, producing regions food;
- **depots** are the capital (national depot) and the regional capitals (regional depots); each
  depot draws on the supply points within its catchment (routes at most ``CATCHMENT_FACTOR`` × its
  fastest one: its usual corridors);
- every other town is **retail** and draws on its nearest depot.

Each day, for each commodity:

1. the events acting that day and targeting the commodity degrade the roads; lanes (the route from
   each origin to each destination) are found, with the share of orders truckers will carry through
   their threats (each event on a lane counted once) and the escorts they can ride with;
2. towns order their demand (less under rationing, more while restocking); depots order for
   themselves and their towns; one linear programme shares the roads, the supply points and the
   escorts among all commodities and destinations by the scenario's allocation policy
   (:mod:`siege.solver.supply`);
3. a depot shares what it holds among its own town's need and its towns' orders by the same policy
   (its town is one of its area's, not served first); a town whose depot cannot send the day's need
   draws on the supply points nearest to it; convoys arrive as pulses after their travel time, less
   what their route's threats stop; the national depot's security reserve is drawn only while released;
4. stocks grow with inflow and fall with consumption; a town that cannot cover a day's demand from
   inflow and stock is *short* that day.

Output: one row per day, town and commodity (``timeline.csv``), a summary per town and commodity,
and for every town short of something, the reasons (events on its lanes, blockades, its depot).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from siege import settings
from siege.errors import SiegeInputError
from siege.scenario import Scenario, degrade
from siege.solver.arrays import RoadArrays
from siege.solver.routes import fastest_from, most_reliable_from
from siege.solver.status import STATUSES, classify
from siege.solver.supply import Lane, SupplyProblem, residual, solve_supply, used_capacity
from siege.validation import check_period

#: the columns of timeline.csv, in order
COLUMNS = (
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
)
NATIONAL, REGIONAL, RETAIL = "national_depot", "regional_depot", "retail"


@dataclass(frozen=True)
class SupplyRoute:
    """One lane a town's supply of a commodity can take: from a supply point or from its depot."""

    origin: str  # a supply point's name, or "<town> depot"
    origin_node: int  # node position in the road arrays
    edges: tuple[int, ...]  # edge positions along the lane
    trucks: float  # trucks/day the lane carried that day
    survival: float  # probability a convoy gets through (each event met once)
    willing: float  # share of orders truckers carry on it


@dataclass
class TimelineResult:
    """A day-by-day simulation of one scenario."""

    scenario: Scenario
    start: dt.date
    end: dt.date
    frame: pd.DataFrame  # one row per day, town and commodity (COLUMNS)
    summary: pd.DataFrame  # one row per town and commodity
    towns: pd.DataFrame  # one row per town: all commodities together
    reasons: dict[str, list[str]] = field(default_factory=dict)  # town -> why it ran short
    chain: dict[str, str] = field(default_factory=dict)  # town -> its depot (itself for a depot)
    policy: str = settings.DEFAULT_ALLOCATION
    #: (town, commodity) -> its supply lanes on the last day simulated, most trucks first
    routes: dict[tuple[str, str], list[SupplyRoute]] = field(default_factory=dict)

    def town(self, name: str, commodity: str | None = None) -> pd.DataFrame:
        """The rows of one town (and commodity), by date."""
        rows = self.frame[self.frame["town"] == name]
        if commodity is not None:
            rows = rows[rows["commodity"] == commodity]
        return rows.reset_index(drop=True)

    def summary_of(self, name: str, commodity: str | None = None) -> dict:
        """The summary of one town: all commodities together, or one commodity."""
        if commodity is None:
            return self.towns[self.towns["town"] == name].iloc[0].to_dict()
        s = self.summary
        return s[(s["town"] == name) & (s["commodity"] == commodity)].iloc[0].to_dict()


def period_of(scenario: Scenario, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The simulated period: arguments, else the scenario's start/end."""
    start = start or scenario.start
    end = end or scenario.end
    if start is None or end is None:
        raise SiegeInputError(
            str(scenario.path or "scenario"), "a run through time needs start and end (in the file or as options)"
        )
    if end < start:
        raise SiegeInputError(str(scenario.path or "scenario"), f"end ({end}) is before start ({start})")
    check_period(start, end, str(scenario.path or "scenario"))
    return start, end


@dataclass(frozen=True)
class Chain:
    """Who supplies whom: depots, their towns, their supply points."""

    role: list[str]  # per town
    depot_of: np.ndarray  # per town: the depot it draws on (itself for a depot fed by supply points)
    sources: dict[tuple[int, int], list[int]]  # (depot town, commodity) -> supply point indices
    #: (town below a depot, commodity) -> the supply points it draws on directly when its depot is cut
    #: off or empty: those nearest to it (its own catchment), at the extra hours
    fallback: dict[tuple[int, int], list[int]] = field(default_factory=dict)


def build_chain(scenario: Scenario, base: RoadArrays, points) -> Chain:
    """Depots (the capital and regional capitals), each town's depot, each depot's catchment."""
    towns = scenario.on_network
    pos = base.index
    capital = scenario.capital
    role = [
        NATIONAL if t.name == capital else REGIONAL if t.kind in ("capital", "regional_capital") else RETAIL
        for t in towns
    ]
    depots = [i for i, r in enumerate(role) if r != RETAIL]
    if not depots:  # no capital or regional capital among the towns: each town is its own depot
        role = [REGIONAL] * len(towns)
        depots = list(range(len(towns)))
    depot_of = np.arange(len(towns))
    if len(depots) < len(towns):
        hours = np.full((len(depots), len(towns)), np.inf)
        for k, d in enumerate(depots):
            hours[k] = fastest_from(base, [pos[towns[d].node]]).dist[[pos[t.node] for t in towns]]
        for i, r in enumerate(role):
            if r == RETAIL:
                depot_of[i] = depots[int(np.argmin(hours[:, i]))]
    # a regional depot whose fastest supply route runs through the capital draws on the national depot
    if capital in [t.name for t in towns]:
        cap_i = [t.name for t in towns].index(capital)
        routes = fastest_from(base, [pos[p.node] for p in points])
        for d in depots:
            if d != cap_i and pos[towns[cap_i].node] in routes.path(pos[towns[d].node])[1:-1]:
                depot_of[d] = cap_i
    roots = [d for d in depots if depot_of[d] == d]
    root_of = np.arange(len(towns))
    for i in range(len(towns)):
        while depot_of[root_of[i]] != root_of[i]:
            root_of[i] = depot_of[root_of[i]]
    demand = town_demand(scenario)
    sources: dict[tuple[int, int], list[int]] = {}
    fallback: dict[tuple[int, int], list[int]] = {}
    for c, commodity in enumerate(scenario.commodities):
        carriers = [j for j, p in enumerate(points) if commodity.name in p.commodities]
        if not carriers:
            continue
        dist = np.array([fastest_from(base, [pos[points[j].node]]).dist for j in carriers])  # carriers × nodes
        capacity = np.array([_capacity_for(points[j], commodity.name) for j in carriers])
        for d in roots:
            h = dist[:, pos[towns[d].node]]
            if not np.isfinite(h).any():
                continue
            best = np.nanmin(h[np.isfinite(h)])
            limit = max(best * settings.CATCHMENT_FACTOR, best + 1e-9)
            chosen = list(np.flatnonzero(h <= limit))
            # a catchment that cannot carry its area's normal day (a small airstrip nearest to the capital)
            # reaches on to the next gateways, nearest first, until it can
            need = float(demand[root_of == d, c].sum())
            for k in np.argsort(h, kind="stable"):
                if capacity[chosen].sum() >= need or not np.isfinite(h[k]):
                    break
                if k not in chosen:
                    chosen.append(int(k))
            sources[(d, c)] = [carriers[k] for k in sorted(chosen)]
        for i in range(len(towns)):
            if depot_of[i] == i:
                continue
            h = dist[:, pos[towns[i].node]]
            if np.isfinite(h).any():
                best = np.nanmin(h[np.isfinite(h)])
                fallback[(i, c)] = [
                    carriers[k] for k in np.flatnonzero(h <= max(best * settings.CATCHMENT_FACTOR, best))
                ]
    return Chain(role, depot_of, sources, fallback)


def _corridor_targets(scenario, roads: _Roads, points, allowed: np.ndarray, parent: np.ndarray, C: int):
    """What each gateway with a documented share normally sends of a commodity today: its share of what
    the depots fed by gateways may receive, on its lanes (positions in the day's problem)."""
    if not scenario.corridor_shares:
        return []
    roots = np.flatnonzero(parent == np.arange(len(parent)))
    want = allowed.reshape(-1, C)[roots].sum(axis=0)
    out = []
    for c, commodity in enumerate(scenario.commodities):
        shares = scenario.corridor_shares.get(commodity.name, {})
        for j, p in enumerate(points):
            if p.name in shares:
                ix = [k for k, ln in enumerate(roads.problem.lanes) if ln.origin == j and ln.dest % C == c]
                out.append((np.array(ix, dtype=np.int64), shares[p.name] * float(want[c])))
    return out


def _capacity_for(point, commodity: str) -> float:
    """What a supply point can send of one commodity a day: its cap for it, else its capacity."""
    return min([point.capacity, *(cap for name, cap in point.by_commodity if name == commodity)])


@dataclass(frozen=True)
class _Roads:
    """The roads on one day for every commodity: lanes and what the solver needs."""

    problem: SupplyProblem
    met_by_dest: dict[int, set[int]]  # destination pair -> the events its lanes meet
    reachable: np.ndarray  # (town, commodity): an open road from a supply point carrying it
    survival: np.ndarray  # (town, commodity): best survival on its lanes
    hours: np.ndarray  # (town, commodity): fastest lane hours
    all_lanes: list[Lane] = field(default_factory=list)  # refused lanes too
    kept: tuple[int, ...] = ()  # positions in all_lanes of the problem's lanes
    #: lanes straight from supply points to towns below a depot, used for what their depot cannot send
    fallback: list[Lane] = field(default_factory=list)
    zone_labels: tuple[str, ...] = ()  # what each capped zone of the problem is
    #: (town, commodity): best survival and fastest hours on the lanes it falls back on
    fallback_survival: np.ndarray | None = None
    fallback_hours: np.ndarray | None = None


@dataclass
class SimulationMemo:
    """Work shared by runs of variants of one scenario that differ only in their events.

    A sweep worker keeps one per base scenario: the network arrays and the supply chain (which do not
    depend on events), the lanes of each state of the roads and each day's solved supply. Keys hold
    the acting events themselves (with their position in the list), so a variant reuses only what is
    identical to its own; each table holds at most ``limit`` entries (then starts again).
    """

    limit: int = 20_000
    prepared: tuple | None = None
    roads: dict = field(default_factory=dict)
    flows: dict = field(default_factory=dict)
    convoys: dict = field(default_factory=dict)

    def get(self, table: dict, key, make: Callable[[], object]):
        if key in table:
            return table[key]
        if len(table) >= self.limit:
            table.clear()
        table[key] = value = make()
        return value


def _hashable(events) -> bool:
    try:
        hash(tuple(events))
    except TypeError:  # an event carrying unhashable details: no sharing across runs
        return False
    return True


def _willing(risk: float) -> float:
    return max(0.0, 1.0 - risk / settings.REFUSE_RISK)


def simulate(
    scenario: Scenario,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    policy: str | None = None,
    snapshot: bool = False,
    memo: SimulationMemo | None = None,
) -> TimelineResult:
    """Step the scenario day by day from ``start`` to ``end`` (defaults: the scenario's period).

    ``policy`` overrides the scenario's allocation policy (for the report's sensitivity table).
    ``snapshot`` solves one steady day instead (see :func:`supply_on`). ``memo`` shares work with
    earlier runs of scenarios that differ from this one only in their events (sweeps)."""
    if not snapshot:
        start, end = period_of(scenario, start, end)
    policy = policy or scenario.allocation["policy"]
    if memo is None or not _hashable(scenario.events):
        memo = SimulationMemo()
    towns = scenario.on_network
    names = [t.name for t in towns]
    T, C = len(towns), len(scenario.commodities)
    points = [*scenario.supply, *scenario.producers]
    if memo.prepared is None:
        base = RoadArrays.from_graph(scenario.G)
        memo.prepared = (base, build_chain(scenario, base, points))
    base, chain = memo.prepared
    depots = sorted(i for i in range(T) if chain.role[i] != RETAIL)
    depot_slot = {d: k for k, d in enumerate(depots)}
    demand = town_demand(scenario)
    parent = chain.depot_of
    depth = np.zeros(T, dtype=int)
    for i in range(T):
        j = i
        while parent[j] != j:
            j, depth[i] = parent[j], depth[i] + 1
    area = demand.copy()  # what a depot stocks for: itself and every town it supplies, directly or not
    for i in range(T):
        j = i
        while parent[j] != j:
            j = parent[j]
            area[j] += demand[i]
    stock_days = np.array(
        [[_stock_days(scenario, t.name, chain.role[i], c) for c in scenario.commodities] for i, t in enumerate(towns)]
    )
    is_depot = np.array([chain.role[i] != RETAIL for i in range(T)])
    up_order = sorted(range(T), key=lambda i: -depth[i])  # children before their depot
    target = np.where(is_depot[:, None], area, demand) * stock_days
    stock = target.copy()
    # the state's security reserve, held apart at the national depot and drawn only while released
    reserve_span = np.array([c.reserve_days_national_depot for c in scenario.commodities])
    reserve_target = np.where(np.array(chain.role)[:, None] == NATIONAL, area * reserve_span, 0.0)
    reserve = reserve_target.copy()
    priority_names = scenario.allocation.get("priority", [])
    rank = np.array([priority_names.index(n) if n in priority_names else len(priority_names) for n in names])
    pair_rank = np.repeat(rank, C)

    events = scenario.events
    road_args = (scenario, base, chain, points, depots, depot_slot)
    baseline = memo.get(memo.roads, ((), ()), lambda: _roads(*road_args, (), frozenset()))
    convoys = {}
    if not snapshot:
        # a convoy's losses depend on the threats it meets: every event is part of the key
        convoy_key = (start, end, tuple(events))
        convoys = memo.get(memo.convoys, convoy_key, lambda: _convoy_arrivals(scenario, base, start, end, names))
    reasons: dict[str, set[str]] = {}

    record = []  # per day: need, arrived, served, stock days, short, status (town × commodity)
    days = [start] if snapshot else [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    for day in days:
        road_events = tuple(i for i, e in enumerate(events) if e.active_on(day) and e.DEGRADES)
        escorts = tuple(i for i, e in enumerate(events) if e.active_on(day) and e.kind == "escort")
        key = (tuple((i, events[i]) for i in road_events), tuple((i, events[i]) for i in escorts))
        roads = memo.get(memo.roads, key, functools.partial(_roads, *road_args, road_events, frozenset(escorts)))
        ration = _ration(scenario, day, names)
        allowed_share = _blockades(scenario, day, names)  # (town, commodity) share that may enter
        need = demand * ration
        released = _released(scenario, day, names) & (reserve_target > 0)
        pool = np.where(released, reserve, 0.0)
        stock_eff = stock + pool  # what may be drawn today: the commercial stock, then a released reserve
        # restocking: a share of the missing stock on top of the day's demand, at most ORDER_CAP × the
        # normal day in all; an overstocked town orders less until it is back at its target
        normal_day = np.where(is_depot[:, None], area * ration, need)
        missing = np.maximum(target - stock, 0.0) + np.where(released, 0.0, np.maximum(reserve_target - reserve, 0.0))
        restock = np.minimum(missing * settings.REFILL_SHARE_PER_DAY, (settings.ORDER_CAP - 1.0) * normal_day)
        surplus = np.maximum(stock - target, 0.0)
        # orders: a retail town for itself; a depot for itself, for what its towns order from it, and to
        # restock its own stock
        orders = np.zeros((T, C))
        for i in up_order:
            if is_depot[i]:
                children = sum((orders[j] for j in range(T) if parent[j] == i and j != i), np.zeros(C))
                orders[i] = np.maximum(need[i] + children + restock[i] - surplus[i], 0.0)
            else:
                orders[i] = np.maximum(need[i] + restock[i] - surplus[i], 0.0)
        pair_orders = orders.ravel()
        # truckers under threat carry a share of what is ordered through a threatened lane (the solver's
        # default), and a blockade lets in a share of what is ordered (restocking included): once a
        # blockade is lifted or a threat ends, a stock refills as fast as roads, gateways and fleets allow
        allowed = np.minimum(allowed_share * orders, orders).ravel()
        fkey = (
            key,
            tuple(np.round(pair_orders, 6)),
            tuple(np.round(allowed, 6)),
            policy,
        )
        x = memo.get(
            memo.flows,
            fkey,
            functools.partial(
                solve_supply,
                roads.problem,
                pair_orders,
                allowed=allowed,
                policy=policy,
                priority=pair_rank,
                targets=_corridor_targets(scenario, roads, points, allowed, parent, C),
            ),
        )
        lane_dest = np.array([ln.dest for ln in roads.problem.lanes], dtype=np.int64)
        received = np.bincount(lane_dest, weights=x, minlength=T * C).reshape(T, C) if len(x) else np.zeros((T, C))
        inflow = np.zeros((T, C))
        roots = parent == np.arange(T)
        inflow[roots] = received[roots]  # depots fed by supply points
        # convoys arrive as pulses; one reaching a depot is forwarded to its towns the same day
        pulses = convoys.get(day, ())
        for i, c, trucks in pulses:
            if is_depot[i]:
                inflow[i, c] += trucks
        arrived = inflow.copy()  # what reached each town today (a depot's forwarding not subtracted)
        # each depot, national first, shares what it holds among its own town and its towns, by the policy
        for d in sorted(depots, key=lambda i: depth[i]):
            mine = np.flatnonzero((parent == d) & (np.arange(T) != d))
            if not len(mine):
                continue
            for c in range(C):
                # what the depot holds is shared by the allocation policy among its own town's need and
                # its towns' orders: the depot's town is one of its area's towns, not served first
                held = max(0.0, stock_eff[d, c] + inflow[d, c])
                shares = _share(
                    held,
                    np.r_[need[d, c], received[mine, c]],
                    np.r_[need[d, c], orders[mine, c]],
                    policy,
                    np.r_[rank[d], rank[mine]],
                )
                inflow[mine, c] = shares[1:]
                arrived[mine, c] = inflow[mine, c]
                inflow[d, c] -= inflow[mine, c].sum()  # forwarded out of the depot's arrivals or stock
        with np.errstate(invalid="ignore", divide="ignore"):  # what the depot lanes really carried
            carried = np.where(received > 1e-12, np.clip(arrived / received, 0.0, 1.0), 0.0)
        carried[parent == np.arange(T)] = 1.0
        # a town whose depot is cut off or empty draws on the supply points nearest to it, at the extra
        # hours, with what the day's deliveries left of roads, gateways and escorts
        x_fb = np.zeros(len(roads.fallback))
        drawn = np.zeros((T, C))
        # what the day's deliveries take of roads, gateways and caps: computed once, when needed
        day_used = functools.cache(functools.partial(used_capacity, roads.problem, x))
        below = (parent != np.arange(T))[:, None]
        gap = np.where(below, np.maximum(orders - inflow, 0.0), 0.0)
        # only where the depot fails the day's need (cut off or empty), not where it is slow to restock
        wanting = (below & (inflow < need * (1.0 - settings.SHORT_TOLERANCE)) & (gap > 1e-9)).ravel()
        used = [k for k, ln in enumerate(roads.fallback) if wanting[ln.dest]]
        if used:
            gap_orders = np.where(wanting, gap.ravel(), 0.0)
            # truckers' willingness bounds a town's threatened traffic over both calls, not each
            w = np.array([ln.willing for ln in roads.problem.lanes])
            threatened = np.bincount(
                lane_dest, weights=np.where(w < 1.0 - 1e-12, x / np.maximum(w, 1e-12), 0.0), minlength=T * C
            )
            willing_left = np.maximum(pair_orders - threatened, 0.0)
            x_used = memo.get(
                memo.flows,
                ("fallback", fkey, tuple(np.round(gap_orders, 6)), tuple(np.round(willing_left, 6))),
                functools.partial(
                    solve_supply,
                    residual(roads.problem, day_used(), [roads.fallback[k] for k in used]),
                    gap_orders,
                    allowed=np.minimum(allowed_share.ravel() * gap_orders, gap_orders),  # blockades hold
                    normal=willing_left,
                    policy=policy,
                    priority=pair_rank,
                ),
            )
            x_fb[used] = x_used
            fb_dest = np.array([roads.fallback[k].dest for k in used], dtype=np.int64)
            drawn = np.bincount(fb_dest, weights=x_used, minlength=T * C).reshape(T, C)
            inflow += drawn
            arrived += drawn
        for i, c, trucks in pulses:
            if not is_depot[i]:
                inflow[i, c] += trucks
                arrived[i, c] += trucks
        available = stock_eff + inflow
        consumed = np.minimum(need, np.maximum(available, 0.0))
        left = np.clip(available - consumed, 0.0, None)
        # a released reserve is drawn last; outside a release, what is left over once the commercial
        # stock is full rebuilds the reserve
        reserve = np.where(released, np.minimum(reserve, left), reserve)
        stock = np.where(released, left - reserve, left)
        topup = np.where(released, 0.0, np.minimum(np.maximum(stock - target, 0.0), reserve_target - reserve))
        reserve, stock = reserve + topup, stock - topup
        short = consumed < need * (1.0 - settings.SHORT_TOLERANCE)
        base_need = np.where(is_depot[:, None], area * ration, need)
        ordered = pair_orders.reshape(T, C)
        with np.errstate(invalid="ignore", divide="ignore"):
            # the share of the normal day's need that arrived (its own demand; a depot's, its area's): an
            # order placed to rebuild stock that is not met is slower restocking, not a siege; an
            # overstocked town that orders nothing is fully served
            wanted = np.minimum(ordered, base_need)
            served = np.where(wanted > 1e-9, np.minimum(1.0, arrived / np.maximum(wanted, 1e-12)), 1.0)
            # a town judged on the lanes its supply took that day: its depot's, or those it fell back on
            via_fallback = drawn > np.maximum(arrived - drawn, 0.0)
            day_survival = np.where(via_fallback, roads.fallback_survival, roads.survival)
            day_hours = np.where(via_fallback, roads.fallback_hours, roads.hours)
            ratio_h = np.where(baseline.hours > 0, day_hours / baseline.hours, 1.0)
            stock_days = np.where(base_need > 0, stock / base_need, np.nan)  # days of its area's need
            reserve_days = np.where(base_need > 0, reserve / base_need, 0.0)
        open_road = roads.reachable & (allowed_share > 0)
        status = np.empty((T, C), dtype=object)
        for i in range(T):
            for c in range(C):
                # isolated means no way in; a town that truckers refuse to reach is besieged, not isolated,
                # and so is one cut off whose stock a convoy reached that day
                status[i, c] = (
                    ("isolated" if arrived[i, c] <= 1e-9 else "besieged")
                    if not open_road[i, c]
                    else classify(
                        reachable=True,
                        served_fraction=max(float(served[i, c]), 1e-12),
                        survival=float(day_survival[i, c]),
                        travel_time_ratio=float(ratio_h[i, c]) if math.isfinite(ratio_h[i, c]) else math.inf,
                        thresholds=scenario.thresholds,
                    )
                )
                if short[i, c]:
                    reasons.setdefault(names[i], set()).update(
                        _why(scenario, roads, names, chain, i, c, day_used(), allowed_share, ration, wanting, points)
                    )
        record.append((need.copy(), arrived.copy(), served, stock_days, reserve_days, short, status))
        if progress:
            progress(1)
    routes = _routes_of(roads, x, points, towns, depots, scenario.commodities, base, x_fb, carried)
    days_, cnames = np.array(days, dtype=object), [c.name for c in scenario.commodities]
    need_d, arrived_d, served_d, stock_d, reserve_d, short_d, status_d = (
        np.stack(a) for a in zip(*record, strict=True)
    )
    D = len(days)
    frame = pd.DataFrame(
        {
            "date": np.repeat(days_, T * C),
            "town": np.tile(np.repeat(np.array(names, dtype=object), C), D),
            "commodity": np.tile(np.array(cnames, dtype=object), D * T),
            "demand": np.round(need_d.ravel(), 3),
            "inflow": np.round(arrived_d.ravel(), 3),
            "served_fraction": np.round(served_d.ravel(), 4),
            "stock_days": np.round(stock_d.ravel(), 3),
            "reserve_days": np.round(reserve_d.ravel(), 3),
            "short": short_d.ravel(),
            "status": status_d.ravel(),
        },
        columns=list(COLUMNS),
    )
    summary, per_town = _summaries(days_, names, cnames, short_d, stock_d, status_d, start or dt.date.min)
    chain_names = {names[i]: names[int(chain.depot_of[i])] for i in range(T)}
    return TimelineResult(
        scenario,
        start,
        end,
        frame,
        summary,
        per_town,
        {k: sorted(v) for k, v in reasons.items()},
        chain_names,
        policy,
        routes,
    )


def _routes_of(
    roads: _Roads, x: np.ndarray, points, towns, depots, commodities, base: RoadArrays, x_fb=None, carried=None
):
    """Every (town, commodity)'s lanes on the last day, the busiest (then most willing) first; the lanes
    straight from supply points a town fell back on, where they carried something."""
    C, n_points = len(commodities), len(points)
    out: dict[tuple[str, str], list[SupplyRoute]] = {}
    used_fb = [(ln, f) for ln, f in zip(roads.fallback, x_fb if x_fb is not None else [], strict=False) if f > 1e-9]
    flows = _all_flows(roads, x)
    if carried is not None:  # a depot's lanes carry what it could forward, not what the programme asked
        flows = flows * np.array([carried.ravel()[ln.dest] for ln in roads.all_lanes])
    pairs = [*zip(roads.all_lanes, flows, strict=True), *used_fb]
    for lane, trucks in pairs:
        town, c = divmod(lane.dest, C)
        if lane.origin < n_points:
            name, node = points[lane.origin].name, base.index[points[lane.origin].node]
        else:
            depot = towns[depots[lane.origin - n_points]]
            name, node = f"{depot.name} depot", base.index[depot.node]
        out.setdefault((towns[town].name, commodities[c].name), []).append(
            SupplyRoute(name, node, tuple(lane.edges.tolist()), float(trucks), lane.survival, lane.willing)
        )
    for lanes in out.values():
        lanes.sort(key=lambda r: (-round(r.trucks, 6), -r.willing, -r.survival, len(r.edges)))
    return out


def _all_flows(roads: _Roads, x: np.ndarray) -> np.ndarray:
    """Flow on every lane, refused lanes (not in the problem) carrying 0."""
    flows = np.zeros(len(roads.all_lanes))
    flows[list(roads.kept)] = x
    return flows


def supply_on(scenario: Scenario, day: dt.date | None) -> TimelineResult:
    """One steady day of the supply model: the events acting on ``day`` (every event when ``None``),
    every stock at its target, no convoy pulse. What ``siege run`` reports as served fraction and
    status for the evaluation day."""
    return simulate(scenario, start=day, end=day, snapshot=True)


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


def simulate_period(scenario: Scenario, *, memo: SimulationMemo | None = None) -> TimelineResult | None:
    """The day-by-day run of a scenario that has a period (start and end); ``None`` otherwise."""
    return simulate(scenario, memo=memo) if scenario.start is not None and scenario.end is not None else None


def _stock_days(scenario: Scenario, town: str, role: str, commodity) -> float:
    given = scenario.stocks.get(town, {})
    return float(given[commodity.name]) if commodity.name in given else commodity.stock_days[role]


def _roads(scenario, base, chain, points, depots, depot_slot, road_events, escorts) -> _Roads:
    """Lanes for every commodity with the given events acting (cached per set of events)."""
    towns = scenario.on_network
    pos = base.index
    T, C = len(towns), len(scenario.commodities)
    events = scenario.events
    # shared road capacity: events acting on all traffic; closures of one commodity act on its lanes only
    shared = base.degraded(degrade([events[i] for i in road_events if events[i].commodities is None]))
    edge_capacity = np.where(shared.closed, 0.0, shared.capacity * shared.capacity_factor)
    if shared.truck_cap is not None:
        edge_capacity = np.minimum(edge_capacity, shared.truck_cap)
    position = base.edge_index
    zones = [i for i in road_events if events[i].effect.capacity_trucks_per_day is not None]
    zone_edges = {z: {position[k] for k in events[i].edges if k in position} for z, i in enumerate(zones)}
    # a supply point's own cap for one commodity (Dakar: 100 tankers/day) is a zone of its lanes
    point_caps = [(j, name, cap) for j, p in enumerate(points) for name, cap in p.by_commodity]
    escort_list = sorted(escorts)
    escort_edges = {k: {position[e] for e in events[i].edges if e in position} for k, i in enumerate(escort_list)}
    lanes: list[Lane] = []
    fallback: list[Lane] = []
    lane_events: list[tuple[int, ...]] = []
    reachable = np.zeros((T, C), dtype=bool)
    survival = np.zeros((T, C))
    hours = np.full((T, C), np.inf)
    fb_survival, fb_hours = np.zeros((T, C)), np.full((T, C), np.inf)
    n_points = len(points)
    for c, commodity in enumerate(scenario.commodities):
        active = [i for i in road_events if events[i].targets(commodity.name)]
        arrays = base.degraded(degrade([events[i] for i in active]))
        risky = {}  # edge position -> events with risk on it
        for i in active:
            if events[i].effect.risk > 0 or events[i].effect.closed:
                for k in events[i].edges:
                    if k in position:
                        risky.setdefault(position[k], []).append(i)
        carriers = [j for j, p in enumerate(points) if commodity.name in p.commodities]
        if carriers:
            reach = fastest_from(arrays, [pos[points[j].node] for j in carriers]).dist
            reachable[:, c] = np.isfinite(reach[[pos[t.node] for t in towns]])
        # origin → destination pairs: supply points → depots (their catchment), depots → their towns
        pairs = [(j, d, False) for d in depots for j in chain.sources.get((d, c), [])]
        pairs += [(n_points + depot_slot[int(chain.depot_of[i])], i, False) for i in range(T) if chain.depot_of[i] != i]
        pairs += [(j, i, True) for i in range(T) if chain.depot_of[i] != i for j in chain.fallback.get((i, c), [])]
        # (a regional depot behind the capital is, for its lanes, a town of the national depot)
        by_origin: dict[int, list[tuple[int, bool]]] = {}
        for o, d, fb in pairs:
            by_origin.setdefault(o, []).append((d, fb))
        for o, dests in by_origin.items():
            node = pos[points[o].node] if o < n_points else pos[towns[depots[o - n_points]].node]
            fast, safe = fastest_from(arrays, [node]), most_reliable_from(arrays, [node])
            for d, fb in dests:
                out = fallback if fb else lanes
                target = pos[towns[d].node]
                if not np.isfinite(fast.dist[target]):
                    continue
                candidates = []
                for routes in (safe, fast):
                    edges = np.array(routes.edges(target), dtype=np.int64)
                    h = float(arrays.hours[edges].sum()) if len(edges) else 0.0
                    met = tuple(sorted({e for p in edges.tolist() for e in risky.get(p, ())}))
                    risk = 1.0 - math.prod(1.0 - events[e].effect.risk for e in met if not events[e].effect.closed)
                    if h <= fast.dist[target] * settings.CATCHMENT_FACTOR + 1e-9:
                        candidates.append((-_willing(risk), h, edges, met, risk))
                _, h, edges, met, risk = min(candidates, key=lambda t: (t[0], t[1]))
                dest = d * C + c
                lane_zones = tuple(
                    z
                    for z, zs in zone_edges.items()
                    if events[zones[z]].targets(commodity.name) and zs.intersection(edges.tolist())
                ) + tuple(
                    len(zones) + k for k, (j, name, _) in enumerate(point_caps) if j == o and name == commodity.name
                )
                out.append(Lane(o, dest, edges, h, _willing(risk), 1.0 - risk, lane_zones))
                if fb:
                    fb_survival[d, c] = max(fb_survival[d, c], 1.0 - risk)
                    fb_hours[d, c] = min(fb_hours[d, c], h)
                else:
                    lane_events.append(met)
                if not fb and (chain.depot_of[d] == d or o >= n_points):
                    survival[d, c] = max(survival[d, c], 1.0 - risk)
                    hours[d, c] = min(hours[d, c], h)
                # escorted variants: the events on the escorted road meet risk × the escort's factor
                for k, e_idx in enumerate(escort_list):
                    escort = events[e_idx]
                    if not escort.targets(commodity.name) or not escort_edges[k].intersection(edges.tolist()):
                        continue
                    factor = escort.param("risk_factor", settings.ESCORT_RISK_FACTOR)
                    covered = {
                        e for e in met if {position[x] for x in events[e].edges if x in position} & escort_edges[k]
                    }
                    r_esc = 1.0 - math.prod(
                        1.0 - events[e].effect.risk * (factor if e in covered else 1.0)
                        for e in met
                        if not events[e].effect.closed
                    )
                    out.append(Lane(o, dest, edges, h, _willing(r_esc), 1.0 - r_esc, lane_zones, k))
                    if fb:
                        fb_survival[d, c] = max(fb_survival[d, c], 1.0 - r_esc)
                    else:
                        lane_events.append(met)
                    if not fb and (chain.depot_of[d] == d or o >= n_points):
                        survival[d, c] = max(survival[d, c], 1.0 - r_esc)
    # a town whose depot has no open lane to it is judged on the lanes it falls back on
    no_depot_lane = ~np.isfinite(hours)
    survival = np.where(no_depot_lane, fb_survival, survival)
    hours = np.where(no_depot_lane, fb_hours, hours)
    keep = [i for i, ln in enumerate(lanes) if ln.willing > 0]
    met_by_dest: dict[int, set[int]] = {}
    for ln, met in zip(lanes, lane_events, strict=True):  # refused lanes too: they explain shortages
        met_by_dest.setdefault(ln.dest, set()).update(met)
    problem = SupplyProblem(
        lanes=[lanes[i] for i in keep],
        edge_capacity=edge_capacity,
        origin_capacity=np.array([p.capacity for p in points] + [np.inf] * len(depots)),
        zone_capacity=np.array(
            [events[i].effect.capacity_trucks_per_day for i in zones] + [cap for _, _, cap in point_caps], dtype=float
        ),
        escort_capacity=np.array([events[i].param("capacity") for i in escort_list], dtype=float),
        n_dest=T * C,
    )
    zone_labels = tuple(
        [f"#{i} {events[i].label}" for i in zones] + [f"{points[j].name}'s {name} limit" for j, name, _ in point_caps]
    )
    return _Roads(
        problem,
        met_by_dest,
        reachable,
        survival,
        hours,
        lanes,
        tuple(keep),
        [ln for ln in fallback if ln.willing > 0],
        zone_labels,
        fb_survival,
        fb_hours,
    )


def _released(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    """(town, commodity): a ``release_reserve`` event lets the town's security reserve be drawn today."""
    out = np.zeros((len(names), len(scenario.commodities)), dtype=bool)
    for e in scenario.events:
        if e.kind == "release_reserve" and e.active_on(day):
            towns = e.param("towns") or ((scenario.capital,) if scenario.capital else ())
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    out[[i for i, n in enumerate(names) if n in towns], c] = True
    return out


def _ration(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    factor = np.ones((len(names), len(scenario.commodities)))
    for e in scenario.events:
        if e.kind == "rationing" and e.active_on(day):
            towns = e.param("towns")
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    rows = [i for i, n in enumerate(names) if towns is None or n in towns]
                    factor[rows, c] *= e.param("demand_factor")
    return factor


def _blockades(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    share = np.ones((len(names), len(scenario.commodities)))
    for e in scenario.events:
        if e.kind == "town_blockade" and e.active_on(day):
            let_in = 0.0 if e.effect.closed else e.effect.capacity_factor
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    rows = [i for i, n in enumerate(names) if n in e.param("towns")]
                    share[rows, c] *= let_in
    return share


def _share(amount: float, asked: np.ndarray, orders: np.ndarray, policy: str, rank: np.ndarray) -> np.ndarray:
    """Split ``amount`` among towns asking ``asked`` (at most), by the allocation policy."""
    total = asked.sum()
    if total <= amount or total <= 0:
        return asked.copy()
    if policy == "proportional":
        return asked * (amount / total)
    out = np.zeros_like(asked)
    left = amount
    groups = [rank == r for r in np.unique(rank)] if policy == "priority" else [np.ones(len(asked), dtype=bool)]
    for g in groups:
        idx = np.flatnonzero(g)
        # water-filling of served fractions within the group, each capped by what it asked
        while left > 1e-12 and len(idx):
            frac = left / orders[idx].sum()
            caps = asked[idx] - out[idx]
            give = np.minimum(caps, frac * orders[idx])
            out[idx] += give
            left -= give.sum()
            idx = idx[asked[idx] - out[idx] > 1e-12]
            if give.sum() <= 1e-12:
                break
    return out


def _convoy_arrivals(scenario: Scenario, base: RoadArrays, start: dt.date, end: dt.date, names: list[str]):
    """Day → [(town, commodity, trucks)] arriving: travel time, then losses on the route met."""
    out: dict[dt.date, list[tuple[int, int, float]]] = {}
    cindex = {c.name: k for k, c in enumerate(scenario.commodities)}
    pos = base.index
    for e in scenario.events:
        if e.kind != "convoy" or e.param("to") not in names:
            continue
        commodity = e.param("commodity")
        a, b = (pos[n] for n in e.param("nodes"))
        hours_free = fastest_from(base, [a]).dist[b]  # to date a reported arrival back to its departure
        if not np.isfinite(hours_free):
            continue
        leaves = e.start
        if e.param("arrives") is not None:
            leaves = e.param("arrives") - dt.timedelta(days=_travel_days(hours_free))
        if leaves is None or leaves > end:
            continue
        active = [x for x in scenario.events if x.DEGRADES and x.active_on(leaves) and x.targets(commodity)]
        arrays = base.degraded(degrade(active))
        route = most_reliable_from(arrays, [a])
        if not np.isfinite(route.dist[b]):
            continue  # no open road that day: the convoy does not leave
        edges = set(route.edges(b))
        factor = settings.ESCORT_RISK_FACTOR if e.param("escorted") else 1.0
        met = [x for x in active if base.positions(x.edges) & edges and not x.effect.closed]
        survival = math.prod(1.0 - x.effect.risk * factor for x in met)
        arrival = e.param("arrives") or leaves + dt.timedelta(days=_travel_days(float(arrays.hours[list(edges)].sum())))
        if start <= arrival <= end:
            delivered = e.param("trucks") * survival
            out.setdefault(arrival, []).append((names.index(e.param("to")), cindex[commodity], delivered))
    return out


def _travel_days(hours: float) -> int:
    """Days a convoy takes for ``hours`` of driving (at least one)."""
    return max(1, math.ceil(hours / settings.CONVOY_DRIVING_HOURS_PER_DAY))


def _why(scenario, roads, names, chain, i, c, used, allowed_share, ration, depot_failed, points) -> list[str]:
    """Reasons a town runs short of a commodity, each naming what binds: a blockade of the town, no
    open road, the threats on its lanes and its depot's, its depot cut off or empty, a supply point or
    a capped zone at its limit, rationing."""
    C = len(scenario.commodities)
    commodity = scenario.commodities[c].name
    reasons = []
    if allowed_share[i, c] < 1:
        reasons.append(f"{commodity}: the town itself is blockaded")
    if not roads.reachable[i, c]:
        reasons.append(f"{commodity}: no open road from any supply point")
    depot = int(chain.depot_of[i])
    met = roads.met_by_dest.get(i * C + c, set()) | roads.met_by_dest.get(depot * C + c, set())
    if met:
        events = "; ".join(f"#{e} {scenario.events[e].label}" for e in sorted(met))
        reasons.append(f"{commodity}: threats on its supply lanes ({events})")
    if depot != i and depot_failed[i * C + c]:
        reasons.append(
            f"{commodity}: its depot ({names[depot]}) could not send the day's need (cut off or empty) and the "
            "supply points nearest to it could not make up the rest"
        )
    reasons += _binding_limits(roads, used, points, commodity, {i * C + c, depot * C + c})
    if ration[i, c] < 1:
        reasons.append(f"{commodity}: demand rationed to {ration[i, c]:.0%}")
    if not reasons:
        reasons.append(f"{commodity}: its supply points cannot cover the orders placed on them")
    return reasons


def _binding_limits(roads: _Roads, used, points, commodity: str, dests: set[int]) -> list[str]:
    """The supply points and capped zones on a town's lanes that sent all they could that day
    (``used``: the day's :class:`~siege.solver.supply.Used`)."""
    problem = roads.problem
    origins, zones = set(), set()
    for ln in problem.lanes:
        if ln.dest in dests:
            origins.add(ln.origin)
            zones.update(ln.zones)
    out = []
    for o in sorted(origins):
        cap = problem.origin_capacity[o]
        if o < len(points) and np.isfinite(cap) and used.origin[o] >= cap * (1 - 1e-6) - 1e-9:
            out.append(f"{commodity}: supply point {points[o].name} at its capacity ({cap:g} trucks a day)")
    for z in sorted(zones):
        cap = problem.zone_capacity[z]
        if used.zone[z] >= cap * (1 - 1e-6) - 1e-9:
            what = roads.zone_labels[z] if z < len(roads.zone_labels) else "a capped crossing"
            out.append(f"{commodity}: {what} reached ({cap:g} a day)")
    return out


def _summaries(days, names, cnames, short, stock_days, status, start: dt.date):
    """Per town and commodity, and per town (all commodities together), from the day × town ×
    commodity arrays: first and last day short, recovery, least stock, days isolated, worst status."""
    D, T, C = short.shape
    rank = np.vectorize(STATUSES.index, otypes=[int])(status)
    isolated = status == "isolated"
    out, towns = [], []
    for i in range(T):
        row = {"town": names[i]}
        per_c = []
        for c in range(C):
            hit = np.flatnonzero(short[:, i, c])
            first = days[hit[0]] if len(hit) else None
            last = days[hit[-1]] if len(hit) else None
            recovered = days[hit[-1] + 1] if len(hit) and hit[-1] + 1 < D else None
            stocks = stock_days[:, i, c]
            per_c.append(
                {
                    "town": names[i],
                    "commodity": cnames[c],
                    "stockout_date": first,
                    "days_to_stockout": (first - start).days if first is not None else None,
                    "days_short": len(hit),
                    "last_day_short": last,
                    "recovered_date": recovered,
                    "min_stock_days": float(np.nanmin(stocks)) if np.isfinite(stocks).any() else float("nan"),
                    "days_isolated": int(isolated[:, i, c].sum()),
                    "worst_status": STATUSES[int(rank[:, i, c].max())],
                }
            )
        out.extend(per_c)
        any_short = np.flatnonzero(short[:, i, :].any(axis=1))
        to_stockout = [r["days_to_stockout"] for r in per_c if r["days_to_stockout"] is not None]
        row.update(
            {
                "first_day_short": days[any_short[0]] if len(any_short) else None,
                "days_to_stockout": min(to_stockout) if to_stockout else None,
                "days_short": len(any_short),
                "days_isolated": int(isolated[:, i, :].any(axis=1).sum()),
                "worst_status": STATUSES[int(rank[:, i, :].max())],
            }
        )
        for r in per_c:
            row[f"{r['commodity']}_stockout_date"] = r["stockout_date"]
            row[f"{r['commodity']}_min_stock_days"] = r["min_stock_days"]
        towns.append(row)
    return pd.DataFrame(out), pd.DataFrame(towns)
