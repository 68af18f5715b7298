"""Stocks and what acts on them: targets by holder, rationing, blockades, released reserves, convoys."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from siege import settings
from siege.network.modes import CONVOY_MODES, TONNES_PER_TRUCK_EQUIVALENT
from siege.scenario import Scenario, degrade
from siege.solver.arrays import RoadArrays
from siege.solver.routes import fastest_from, most_reliable_from


def stock_days(scenario: Scenario, town: str, role: str, commodity) -> float:
    given = scenario.stocks.get(town, {})
    return float(given[commodity.name]) if commodity.name in given else commodity.stock_days[role]


def released(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    """(town, commodity): a ``release_reserve`` event lets the town's security reserve be drawn today."""
    out = np.zeros((len(names), len(scenario.commodities)), dtype=bool)
    for e in scenario.events:
        if e.kind == "release_reserve" and e.active_on(day):
            towns = e.param("towns") or ((scenario.capital,) if scenario.capital else ())
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    out[[i for i, n in enumerate(names) if n in towns], c] = True
    return out


def ration(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    factor = np.ones((len(names), len(scenario.commodities)))
    for e in scenario.events:
        if e.kind == "rationing" and e.active_on(day):
            towns = e.param("towns")
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    rows = [i for i, n in enumerate(names) if towns is None or n in towns]
                    factor[rows, c] *= e.param("demand_factor")
    return factor


def blockades(scenario: Scenario, day: dt.date, names: list[str]) -> np.ndarray:
    share = np.ones((len(names), len(scenario.commodities)))
    for e in scenario.events:
        if e.kind == "town_blockade" and e.active_on(day):
            let_in = 0.0 if e.effect.closed else e.effect.capacity_factor
            for c, commodity in enumerate(scenario.commodities):
                if e.targets(commodity.name):
                    rows = [i for i, n in enumerate(names) if n in e.param("towns")]
                    share[rows, c] *= let_in
    return share


def convoy_arrivals(scenario: Scenario, base: RoadArrays, start: dt.date, end: dt.date, names: list[str]):
    """Day → [(town, commodity, trucks)] arriving: travel time, then losses on the route met."""
    out: dict[dt.date, list[tuple[int, int, float]]] = {}
    cindex = {c.name: k for k, c in enumerate(scenario.commodities)}
    pos = base.index
    for e in scenario.events:
        if e.kind != "convoy" or e.param("to") not in names:
            continue
        commodity = e.param("commodity")
        a, b = (pos[n] for n in e.param("nodes"))
        mode = e.param("mode", "road")
        on = base.only(CONVOY_MODES[mode])  # a convoy keeps to its mode: trucks, boats or aircraft
        hours_free = fastest_from(on, [a]).dist[b]  # to date a reported arrival back to its departure
        if not np.isfinite(hours_free):
            continue
        leaves = e.start
        if e.param("arrives") is not None:
            leaves = e.param("arrives") - dt.timedelta(days=travel_days(hours_free))
        if leaves is None or leaves > end:
            continue
        active = [x for x in scenario.events if x.DEGRADES and x.active_on(leaves) and x.targets(commodity)]
        arrays = on.degraded(degrade(active))
        route = most_reliable_from(arrays, [a])
        if not np.isfinite(route.dist[b]):
            continue  # no open road that day: the convoy does not leave
        edges = set(route.edges(b))
        factor = settings.ESCORT_RISK_FACTOR if e.param("escorted") else 1.0
        met = [x for x in active if base.positions(x.edges) & edges and not x.effect.closed]
        survival = math.prod(1.0 - x.effect.risk * factor for x in met)
        arrival = e.param("arrives") or leaves + dt.timedelta(days=travel_days(float(arrays.hours[list(edges)].sum())))
        delivered = e.param("trucks") * survival
        per_day = delivered
        if mode == "air":  # aircraft land what the smaller airport handles a day: the rest follows
            load = (
                next(c.tonnes_per_truck for c in scenario.commodities if c.name == commodity)
                or TONNES_PER_TRUCK_EQUIVALENT
            )
            payload_t = float(np.min(base.capacity[list(edges)])) * TONNES_PER_TRUCK_EQUIVALENT
            per_day = max(payload_t / load, 1e-9)
        day, left = arrival, delivered
        while left > 1e-12 and day <= end:
            landed = min(left, per_day)
            if day >= start:
                out.setdefault(day, []).append((names.index(e.param("to")), cindex[commodity], landed))
            left -= landed
            day += dt.timedelta(days=1)
    return out


def travel_days(hours: float) -> int:
    """Days a convoy takes for ``hours`` of driving (at least one)."""
    return max(1, math.ceil(hours / settings.CONVOY_DRIVING_HOURS_PER_DAY))


def consume(stock_eff, inflow, need, reserve, released, target, reserve_target):
    """The day's consumption and the stocks left: what may be drawn (stock, a released reserve) plus
    inflow covers the need as far as it goes; a released reserve is drawn last; outside a release,
    what is left once the commercial stock is full rebuilds the reserve. Returns (stock, reserve,
    consumed)."""
    available = stock_eff + inflow
    consumed = np.minimum(need, np.maximum(available, 0.0))
    left = np.clip(available - consumed, 0.0, None)
    reserve = np.where(released, np.minimum(reserve, left), reserve)
    stock = np.where(released, left - reserve, left)
    topup = np.where(released, 0.0, np.minimum(np.maximum(stock - target, 0.0), reserve_target - reserve))
    return stock - topup, reserve + topup, consumed
