"""The siege through time: commodities moving along supply chains, day by day, with stocks.

The one entry point of the supply model (:func:`simulate`): ``siege run``, the workbench, sweeps and
the report's sensitivity tables all call it. Each day, for each commodity:

1. the events acting that day and targeting the commodity degrade the roads; lanes (the route from
   each origin to each destination) are found, with the share of orders truckers will carry through
   their threats and the escorts they can ride with (:mod:`siege.supply.lanes`);
2. towns order their demand (less under rationing, more while restocking: :mod:`siege.supply.stocks`);
   depots order for themselves and their towns; one linear programme shares the roads, the supply
   points and the escorts among all commodities and destinations by the scenario's allocation policy
   (:mod:`siege.supply.allocation`);
3. a depot shares what it holds among its own town's need, its towns' orders and the towns fed by
   supply points that fall back on it first, by the same policy; a town whose supply fails that day
   (cut off, empty depot) draws on the other depots of the commodity and the supply points directly, at
   the extra hours, with what the day's deliveries left of roads, gateways and escorts; convoys arrive as
   pulses after their travel time, less what their route's threats stop; the national depot's security
   reserve is drawn only while released;
4. stocks grow with inflow and fall with consumption; a town that cannot cover a day's demand from
   inflow and stock is *short* that day.

Output (:class:`~siege.supply.result.TimelineResult`): one row per day, town and commodity, a summary
per town and commodity, and for every town short of something, the reasons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from siege import settings
from siege.errors import SiegeInputError
from siege.network.modes import ROAD_MODES
from siege.scenario import Scenario
from siege.solver.arrays import RoadArrays
from siege.solver.status import classify
from siege.supply import stocks as st
from siege.supply.allocation import (
    blockade_allowed,
    blockade_shares,
    residual,
    share_held,
    solve_supply,
    used_capacity,
)
from siege.supply.chain import NATIONAL, Chain, build_chain, town_demand
from siege.supply.lanes import DayRoads, corridor_targets, day_roads, depot_origin, origin_depot, routes_of
from siege.supply.result import COLUMNS, StockLedger, TimelineResult, summaries
from siege.validation import check_period


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
    routes: dict = field(default_factory=dict)  # events on a commodity -> (origin, town) -> its route
    #: a run's baseline (its road solve and steady supply day, no events but the calendar's): the same
    #: for every edit of a workbench session, keyed by what it depends on
    baselines: dict = field(default_factory=dict)

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


@dataclass(frozen=True)
class _Setup:
    """What stays the same every day of a run: the chain, demand, stock targets, ranks, the baseline."""

    scenario: Scenario
    names: list[str]
    points: list
    base: RoadArrays
    chain: Chain
    demand: np.ndarray  # (town, commodity)
    area: np.ndarray  # (town, commodity): the demand a town stocks for
    is_depot: np.ndarray
    is_root: np.ndarray
    depth: np.ndarray
    children: list[dict[int, np.ndarray]]  # per commodity: depot -> the towns it supplies
    claims: list[dict[int, np.ndarray]]  # per commodity: depot -> towns fed by supply points falling back on it first
    target: np.ndarray  # commercial stock target
    reserve_target: np.ndarray  # the security reserve's
    rank: np.ndarray  # priority rank per town
    baseline: DayRoads
    policy: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.demand.shape


def _setup(scenario: Scenario, memo: SimulationMemo, policy: str) -> _Setup:
    towns = scenario.on_network
    names = [t.name for t in towns]
    T, C = len(towns), len(scenario.commodities)
    points = [*scenario.supply, *scenario.producers]
    if memo.prepared is None:  # the arrays a run built on this memo, else new ones
        base = memo.baselines.get(("arrays", scenario.G)) or RoadArrays.from_graph(scenario.G)
        memo.prepared = (base, build_chain(scenario, base, points))
    base, chain = memo.prepared
    demand = town_demand(scenario)
    is_depot, is_root = chain.is_depot(), chain.is_root()
    area = chain.area(demand)
    days = np.array(
        [
            [st.stock_days(scenario, t.name, chain.role[i, c], cm) for c, cm in enumerate(scenario.commodities)]
            for i, t in enumerate(towns)
        ]
    ).reshape(T, C)
    reserve_span = np.array([c.reserve_days_national_depot for c in scenario.commodities])
    children, claims = [], []
    for c in range(C):
        sup = chain.supplier[:, c]
        children.append({d: np.flatnonzero((sup == d) & (np.arange(T) != d)) for d in range(T) if is_depot[d, c]})
        first = {
            i: chain.depot_fallback[(i, c)][0]
            for i in range(T)
            if is_root[i, c] and not is_depot[i, c] and chain.depot_fallback.get((i, c))
        }
        claims.append(
            {d: np.array([i for i, f in first.items() if f == d], dtype=np.int64) for d in range(T) if is_depot[d, c]}
        )
    priority_names = scenario.allocation.get("priority", [])
    rank = np.array([priority_names.index(n) if n in priority_names else len(priority_names) for n in names])
    # delays are measured against the usual road (trucks only): the river's boats, open or at low
    # water, neither shorten nor lengthen a town's normal day
    road_base = base.only(ROAD_MODES) if base.mode is not None else base
    baseline = memo.get(
        memo.roads, ("baseline",), lambda: day_roads(scenario, road_base, chain, points, (), frozenset(), {})
    )
    return _Setup(
        scenario,
        names,
        points,
        base,
        chain,
        demand,
        area,
        is_depot,
        is_root,
        chain.depth(),
        children,
        claims,
        np.where(is_depot, area, demand) * days,
        np.where(chain.role == NATIONAL, area * reserve_span, 0.0),
        rank,
        baseline,
        policy,
    )


def simulate(
    scenario: Scenario,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    policy: str | None = None,
    snapshot: bool = False,
    memo: SimulationMemo | None = None,
    routes_on: dt.date | None = None,
) -> TimelineResult:
    """Step the scenario day by day from ``start`` to ``end`` (defaults: the scenario's period).

    The result's ``routes`` are the supply lanes of ``routes_on`` (default, or outside the period:
    the last day).

    ``policy`` overrides the scenario's allocation policy (for the report's sensitivity table).
    ``snapshot`` solves one steady day instead (see :func:`supply_on`). ``memo`` shares work with
    earlier runs of scenarios that differ from this one only in their events (sweeps)."""
    if not snapshot:
        start, end = period_of(scenario, start, end)
    if memo is None or not _hashable(scenario.events):
        memo = SimulationMemo()
    s = _setup(scenario, memo, policy or scenario.allocation["policy"])
    convoys = {}
    if not snapshot:
        # a convoy's losses depend on the threats it meets: every event is part of the key
        convoys = memo.get(
            memo.convoys,
            (start, end, tuple(scenario.events)),
            lambda: st.convoy_arrivals(scenario, s.base, start, end, s.names),
        )
    stock, reserve = s.target.copy(), s.reserve_target.copy()
    reasons: dict[str, set[str]] = {}
    record = []
    days = [start] if snapshot else [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    kept = None
    for day in days:
        row, stock, reserve, last = _day(s, memo, day, stock, reserve, convoys.get(day, ()), reasons)
        record.append(row)
        if day == routes_on:
            kept = last
        if progress:
            progress(1)
    roads, x, x_fb, carried = kept or last
    routes = routes_of(
        roads, x, s.points, scenario.on_network, s.chain.depots, scenario.commodities, s.base, x_fb, carried
    )
    result = _result(s, days, start, end, record, reasons, routes)
    result.routes_day = routes_on if kept is not None else days[-1]
    return result


def _day(s: _Setup, memo: SimulationMemo, day: dt.date, stock, reserve, pulses, reasons):
    """One day: orders, the day's supply programme, depots' shares, fallbacks, consumption, status."""
    scenario, names = s.scenario, s.names
    T, C = s.shape
    events = scenario.events
    road_events = tuple(i for i, e in enumerate(events) if e.active_on(day) and e.DEGRADES)
    escorts = tuple(i for i, e in enumerate(events) if e.active_on(day) and e.kind == "escort")
    key = (tuple((i, events[i]) for i in road_events), tuple((i, events[i]) for i in escorts))
    roads = memo.get(
        memo.roads,
        key,
        functools.partial(day_roads, scenario, s.base, s.chain, s.points, road_events, frozenset(escorts), memo.routes),
    )
    ration = st.ration(scenario, day, names)
    allowed_share = st.blockades(scenario, day, names)  # (town, commodity) share that may enter
    need = s.demand * ration
    released = st.released(scenario, day, names) & (s.reserve_target > 0)
    stock_eff = stock + np.where(released, reserve, 0.0)  # the commercial stock, then a released reserve
    orders, day_need = _orders(s, need, ration, stock, reserve, released)
    pair_orders = orders.ravel()
    # truckers under threat carry a share of what is ordered through a threatened lane (the solver's
    # default); a town blockade lets in its share of the normal day's traffic (the town's and its
    # towns' need: a blockade is a quota on trucks, which a backlog of orders does not raise); once a
    # blockade is lifted or a threat ends, a stock refills as fast as roads, gateways and fleets allow
    # blockade is a declared threat on every truck bound for the town, so escorted lanes are let in at
    # a larger share (up to the escort's capacity)
    let_in = allowed_share.ravel()
    quota = np.where(let_in < 1.0, day_need.ravel(), 0.0)
    allowed = blockade_allowed((roads.problem.ends, roads.fallback_ends), pair_orders, let_in, quota)
    # the policy, and for priority its ranking: runs under other policies may share this memo
    fkey = (
        key,
        tuple(np.round(pair_orders, 6)),
        tuple(np.round(allowed, 6)),
        tuple(np.round(quota, 6)),
        s.policy,
        s.rank.tobytes(),
    )
    x = memo.get(
        memo.flows,
        fkey,
        functools.partial(
            solve_supply,
            roads.problem,
            pair_orders,
            allowed=allowed,
            let_in=let_in,
            quota=quota,
            policy=s.policy,
            priority=np.repeat(s.rank, C),
            targets=corridor_targets(scenario, roads, s.points, allowed, s.is_root, C),
        ),
    )
    lane_dest = roads.problem.incidence.dest
    received = np.bincount(lane_dest, weights=x, minlength=T * C).reshape(T, C) if len(x) else np.zeros((T, C))
    inflow = np.where(s.is_root, received, 0.0)  # towns fed by supply points
    for i, c, trucks in pulses:  # a convoy reaching a depot is forwarded to its towns the same day
        if s.is_depot[i, c]:
            inflow[i, c] += trucks
    # retail towns fed by supply points whose lanes failed the day's need claim on their first depot
    gap, failing = _wanting(s, need, orders, day_need, inflow, inflow)
    inflow, arrived, spare = _depot_shares(
        s, need, orders, received, inflow, stock_eff, gap, failing & s.is_root & ~s.is_depot
    )
    with np.errstate(invalid="ignore", divide="ignore"):  # what the depot lanes really carried
        carried = np.where(received > 1e-12, np.clip(arrived / received, 0.0, 1.0), 0.0)
    carried[s.is_root] = 1.0
    day_used = functools.cache(functools.partial(used_capacity, roads.problem, x))
    gap, wanting = _wanting(s, need, orders, day_need, arrived, inflow)
    x_fb, drawn, from_depot = _fall_back(
        s,
        memo,
        roads,
        fkey,
        x,
        lane_dest,
        pair_orders,
        gap,
        wanting,
        allowed - np.where(s.is_root, received, inflow).ravel(),
        (let_in, quota),
        spare,
        day_used,
    )
    inflow = inflow + drawn - from_depot
    arrived = arrived + drawn
    for i, c, trucks in pulses:
        if not s.is_depot[i, c]:
            inflow[i, c] += trucks
            arrived[i, c] += trucks
    stock, reserve, consumed = st.consume(stock_eff, inflow, need, reserve, released, s.target, s.reserve_target)
    short = consumed < need * (1.0 - settings.SHORT_TOLERANCE)
    served, stock_days, reserve_days, status = _state(
        s, roads, ration, need, orders, day_need, arrived, drawn, stock, reserve, allowed_share
    )
    for i, c in zip(*np.nonzero(short), strict=True):
        reasons.setdefault(names[i], set()).update(
            _why(s, roads, int(i), int(c), day_used(), allowed_share, ration, wanting)
        )
    row = (need, arrived, served, stock_days, reserve_days, short, status, stock_eff, inflow, consumed, orders)
    return row, stock, reserve, (roads, x, x_fb, carried)


def _orders(s: _Setup, need, ration, stock, reserve, released):
    """Each town's orders: its need, what its towns order from it (a depot), and a share of its missing
    stock (restocking: ``REFILL_SHARE_PER_DAY`` of it, at most ``ORDER_CAP`` × the normal day in all);
    an overstocked town orders less until back at its target. And the day's need without restocking
    (its own and its towns'): what it must receive to be served."""
    T, C = s.shape
    normal_day = np.where(s.is_depot, s.area * ration, need)
    missing = np.maximum(s.target - stock, 0.0) + np.where(released, 0.0, np.maximum(s.reserve_target - reserve, 0.0))
    restock = np.minimum(missing * settings.REFILL_SHARE_PER_DAY, (settings.ORDER_CAP - 1.0) * normal_day)
    surplus = np.maximum(stock - s.target, 0.0)
    orders, day_need = np.zeros((T, C)), need.copy()
    for c in range(C):
        for i in np.argsort(-s.depth[:, c], kind="stable"):  # a depot's towns before the depot
            kids = s.children[c].get(int(i), ())
            if len(kids):
                day_need[i, c] += day_need[kids, c].sum()
            orders[i, c] = max(
                need[i, c] + (orders[kids, c].sum() if len(kids) else 0.0) + restock[i, c] - surplus[i, c], 0.0
            )
    return orders, day_need


def _wanting(s: _Setup, need, orders, day_need, arrived, inflow):
    """What each (town, commodity) lacks of the day and whether its supply failed: a depot when what
    reached it falls short of its area's day (restocking aside), any other town when its inflow falls
    short of its need (not where it is only slow to restock). Returns (gap, failed)."""
    gap = np.where(s.is_depot, np.maximum(day_need - arrived, 0.0), np.maximum(orders - inflow, 0.0))
    low = np.where(
        s.is_depot,
        arrived < day_need * (1.0 - settings.SHORT_TOLERANCE),
        inflow < need * (1.0 - settings.SHORT_TOLERANCE),
    )
    return gap, low & (gap > 1e-9)


def _depot_shares(s: _Setup, need, orders, received, inflow, stock_eff, gap, failing):
    """Each depot, the top of its chain first, shares what it holds by the allocation policy among its
    own town's need, its towns' orders and the failing towns that fall back on it first (its own town is
    one of its area's, not served first). Returns the depots' towns' inflow, what reached each town, and
    what each depot can still give towns falling back on it (beyond its own town's share and its towns')."""
    T, C = s.shape
    inflow = inflow.copy()
    arrived = inflow.copy()  # a depot's forwarding not subtracted
    spare = np.zeros((T, C))
    for c in range(C):
        for d in sorted(s.children[c], key=lambda i: s.depth[i, c]):
            kids = s.children[c][d]
            claim = s.claims[c][d][failing[s.claims[c][d], c]] if len(s.claims[c][d]) else np.zeros(0, dtype=np.int64)
            held = max(0.0, stock_eff[d, c] + inflow[d, c])
            shares = share_held(
                held,
                np.r_[need[d, c], received[kids, c], gap[claim, c]],
                np.r_[need[d, c], orders[kids, c], need[claim, c]],
                s.policy,
                np.r_[s.rank[d], s.rank[kids], s.rank[claim]],
            )
            given = shares[1 : 1 + len(kids)]
            inflow[kids, c] = given
            arrived[kids, c] = given
            inflow[d, c] -= given.sum()  # forwarded out of the depot's arrivals or stock
            spare[d, c] = max(0.0, held - shares[0] - given.sum())
    return inflow, arrived, spare


def _fall_back(s, memo, roads, fkey, x, lane_dest, pair_orders, gap, wanting, allowed_left, blockade, spare, day_used):
    """Towns whose supply failed draw on the other depots (what they can spare) and the supply points
    directly, at the extra hours, with what the day's deliveries left of roads, gateways and escorts.
    ``allowed_left``: what each destination may still receive (a blockade's quota less the day's
    deliveries); ``blockade``: the share each destination's blockade lets in, and of what traffic.
    Returns the fallback lanes' flows, what each town drew, and what each depot gave."""
    T, C = s.shape
    n_points, n_depots = len(s.points), len(s.chain.depots)
    x_fb = np.zeros(len(roads.fallback))
    drawn, from_depot = np.zeros((T, C)), np.zeros((T, C))
    want = wanting.ravel()
    used = [k for k, ln in enumerate(roads.fallback) if want[ln.dest]]
    if not used:
        return x_fb, drawn, from_depot
    gap_orders = np.where(want, gap.ravel(), 0.0)
    # truckers' willingness bounds a town's threatened traffic over both calls, not each
    w = np.array([ln.willing for ln in roads.problem.lanes])
    threatened = np.bincount(
        lane_dest, weights=np.where(w < 1.0 - 1e-12, x / np.maximum(w, 1e-12), 0.0), minlength=T * C
    )
    willing_left = np.maximum(pair_orders - threatened, 0.0)
    # and a blockade's quota too, each lane counted at its share (escorted lanes at a larger one)
    let_in, quota = blockade
    share = blockade_shares(roads.problem.ends, let_in)
    counted = np.bincount(lane_dest, weights=np.where(share > 0, x / np.maximum(share, 1e-12), 0.0), minlength=T * C)
    quota_left = np.where(let_in < 1.0, np.maximum(quota - counted, 0.0), 0.0)
    problem = residual(roads.problem, day_used(), [roads.fallback[k] for k in used])
    origin_cap = problem.origin_capacity.copy()
    depots = s.chain.depots
    for slot, d in enumerate(depots):  # a depot gives what it can spare today, per commodity
        for c in range(C):
            origin_cap[depot_origin(n_points, n_depots, slot, C, c)] = spare[d, c]
    problem = dataclasses.replace(problem, origin_capacity=origin_cap)
    x_used = memo.get(
        memo.flows,
        (
            "fallback",
            fkey,
            tuple(np.round(gap_orders, 6)),
            tuple(np.round(willing_left, 6)),
            tuple(np.round(quota_left, 6)),
            tuple(np.round(spare.ravel(), 6)),
        ),
        functools.partial(
            solve_supply,
            problem,
            gap_orders,
            allowed=np.clip(allowed_left, 0.0, gap_orders),  # a blockade's quota holds over both calls
            let_in=let_in,
            quota=quota_left,
            normal=willing_left,
            policy=s.policy,
            priority=np.repeat(s.rank, C),
        ),
    )
    x_fb[used] = x_used
    for k, f in zip(used, x_used, strict=True):
        ln = roads.fallback[k]
        drawn.flat[ln.dest] += f
        if ln.origin >= n_points + n_depots:
            from_depot[depots[origin_depot(ln.origin, n_points, n_depots, C)], ln.dest % C] += f
    return x_fb, drawn, from_depot


def _state(s, roads, ration, need, orders, day_need, arrived, drawn, stock, reserve, allowed_share):
    """Served fraction, stock and reserve days and status of every (town, commodity) on the day."""
    T, C = s.shape
    base_need = np.where(s.is_depot, s.area * ration, need)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the share of the day's need that arrived (its own and its towns'): an order placed to rebuild
        # stock that is not met is slower restocking, not a siege; an overstocked town that orders
        # nothing is fully served
        wanted = np.minimum(orders, day_need)
        served = np.where(wanted > 1e-9, np.minimum(1.0, arrived / np.maximum(wanted, 1e-12)), 1.0)
        # a town judged on the lanes its supply took that day: its usual ones, or those it fell back on
        via_fallback = drawn > np.maximum(arrived - drawn, 0.0)
        day_survival = np.where(via_fallback, roads.fallback_survival, roads.survival)
        day_hours = np.where(via_fallback, roads.fallback_hours, roads.hours)
        ratio_h = np.where(s.baseline.hours > 0, day_hours / s.baseline.hours, 1.0)
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
                    thresholds=s.scenario.thresholds,
                )
            )
    return served, stock_days, reserve_days, status


def _result(s: _Setup, days, start, end, record, reasons, routes) -> TimelineResult:
    T, C = s.shape
    cnames = [c.name for c in s.scenario.commodities]
    days_ = np.array(days, dtype=object)
    need_d, arrived_d, served_d, stock_d, reserve_d, short_d, status_d, avail_d, inflow_d, consumed_d, orders_d = (
        np.stack(a) for a in zip(*record, strict=True)
    )
    D = len(days)
    frame = pd.DataFrame(
        {
            "date": np.repeat(days_, T * C),
            "town": np.tile(np.repeat(np.array(s.names, dtype=object), C), D),
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
    summary, per_town = summaries(days_, s.names, cnames, short_d, stock_d, status_d, start or dt.date.min)
    return TimelineResult(
        s.scenario,
        start,
        end,
        frame,
        summary,
        per_town,
        {k: sorted(v) for k, v in reasons.items()},
        s.chain.supplier_names(s.names, cnames),
        s.policy,
        routes,
        ledger=StockLedger(avail_d, inflow_d, consumed_d, need_d, orders_d, arrived_d, s.target.copy()),
    )


def _why(s: _Setup, roads: DayRoads, i, c, used, allowed_share, ration, failed) -> list[str]:
    """Reasons a town runs short of a commodity, each naming what binds: a blockade of the town, no
    open road, the threats on its lanes and its depot's, its supply failed with no fallback to make up
    the rest, a supply point or a capped zone at its limit, rationing."""
    scenario, names = s.scenario, s.names
    C = len(scenario.commodities)
    commodity = scenario.commodities[c].name
    reasons = []
    if allowed_share[i, c] < 1:
        reasons.append(f"{commodity}: the town itself is blockaded")
    if not roads.reachable[i, c]:
        reasons.append(f"{commodity}: no open road from any supply point")
    depot = int(s.chain.supplier[i, c])
    met = roads.met_by_dest.get(i * C + c, set()) | roads.met_by_dest.get(depot * C + c, set())
    if met:
        events = "; ".join(f"#{e} {scenario.events[e].label}" for e in sorted(met))
        reasons.append(f"{commodity}: threats on its supply lanes ({events})")
    if failed[i, c]:
        what = (
            f"its depot ({names[depot]}) could not send the day's need (cut off or empty)"
            if depot != i
            else "its lanes from the supply points could not bring the day's need"
        )
        fallback = "further supply points" if s.is_depot[i, c] else "depots and supply points"
        reasons.append(f"{commodity}: {what} and the {fallback} it falls back on could not make up the rest")
    reasons += _binding_limits(roads, used, s.points, commodity, {i * C + c, depot * C + c})
    if ration[i, c] < 1:
        reasons.append(f"{commodity}: demand rationed to {ration[i, c]:.0%}")
    if not reasons:
        reasons.append(f"{commodity}: its supply points cannot cover the orders placed on them")
    return reasons


def _binding_limits(roads: DayRoads, used, points, commodity: str, dests: set[int]) -> list[str]:
    """The supply points and capped zones on a town's lanes that sent all they could that day
    (``used``: the day's :class:`~siege.supply.allocation.Used`)."""
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


def supply_on(scenario: Scenario, day: dt.date | None, *, memo: SimulationMemo | None = None) -> TimelineResult:
    """One steady day of the supply model: the events acting on ``day`` (every event when ``None``),
    every stock at its target, no convoy pulse. ``memo``: as :func:`simulate`'s (the network's arrays,
    the chain and solved days shared with other runs of the scenario's variants)."""
    return simulate(scenario, start=day, end=day, snapshot=True, memo=memo)


def simulate_period(
    scenario: Scenario, *, memo: SimulationMemo | None = None, routes_on: dt.date | None = None
) -> TimelineResult | None:
    """The day-by-day run of a scenario that has a period (start and end); ``None`` otherwise.
    ``routes_on``: as :func:`simulate`'s."""
    if scenario.start is None or scenario.end is None:
        return None
    return simulate(scenario, memo=memo, routes_on=routes_on)
