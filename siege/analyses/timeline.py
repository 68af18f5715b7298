"""The siege through time: day by day, the active degradation, the joint supply to every town, and stocks.

Each day:

1. the events acting that day degrade the network (solved once per distinct set of active events);
2. every town orders its demand — more while its stocks are below target (settings.ORDER_FACTORS) —
   and the max-min fair joint flow from the supply points delivers what the roads allow;
3. Bamako is also the depot of the district capitals it forwards supplies to (those whose fastest
   supply route passes through it): what it forwards is limited by its own stock and inflow — when
   Bamako cannot cover its own consumption, it keeps what it lacks out of the onward flow;
4. each commodity's stock grows with its share of the inflow and falls with consumption; a town whose
   stock is empty and inflow short consumes less than it needs: it is *short* that day.

Outputs per town and day: inflow, stock of each commodity (days of demand), status, short; per town:
the first day short, the days to stock-out, the total days isolated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siege import settings
from siege.errors import SiegeInputError
from siege.scenario import Scenario, degrade
from siege.solver.arrays import RoadArrays
from siege.solver.flow import fair_throughput
from siege.solver.routes import fastest_from, most_reliable_from, survival_along
from siege.solver.status import classify
from siege.validation import check_period

COMMODITIES = tuple(settings.COMMODITY_SHARE)


@dataclass
class TimelineResult:
    """A day-by-day simulation of one scenario."""

    scenario: Scenario
    start: dt.date
    end: dt.date
    frame: pd.DataFrame  # one row per town and day
    summary: pd.DataFrame  # one row per town

    def town(self, name: str) -> pd.DataFrame:
        """The rows of one town, by date."""
        return self.frame[self.frame["town"] == name].reset_index(drop=True)

    def summary_of(self, name: str) -> dict:
        """The summary row of one town."""
        return self.summary[self.summary["town"] == name].iloc[0].to_dict()


def _order_factor(ratio: float) -> float:
    factor = 1.0
    for below, f in settings.ORDER_FACTORS:
        if ratio < below:
            factor = f
    return factor


@dataclass(frozen=True)
class _DayNetwork:
    """What a set of active events does to routes (cached per set)."""

    arrays: RoadArrays
    reachable: np.ndarray
    hours: np.ndarray
    survival: np.ndarray
    via_capital: np.ndarray


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


def simulate(
    scenario: Scenario,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> TimelineResult:
    """Step the scenario day by day from ``start`` to ``end`` (defaults: the scenario's period)."""
    start, end = period_of(scenario, start, end)
    base = RoadArrays.from_graph(scenario.G)
    pos = base.index
    towns = scenario.on_network
    t_pos = np.array([pos[t.node] for t in towns], dtype=np.int64)
    demand = np.array([t.demand for t in towns], dtype=float)
    supplies = [(pos[s.node], s.capacity) for s in scenario.supply]
    sources = sorted({p for p, _ in supplies})
    cap_i = next((i for i, t in enumerate(towns) if t.name == settings.CAPITAL), None)
    capital = int(t_pos[cap_i]) if cap_i is not None else None
    share = np.array([settings.COMMODITY_SHARE[c] for c in COMMODITIES])
    stock_days = np.array([[scenario.stocks.get(t.name, settings.STOCK_DAYS)[c] for c in COMMODITIES] for t in towns])
    target = stock_days * demand[:, None] * share[None, :]  # trucks of each commodity
    stock = target.copy()
    base_hours = fastest_from(base, sources).dist[t_pos]

    networks: dict[tuple[int, ...], _DayNetwork] = {}
    flows: dict[tuple, tuple[np.ndarray, float]] = {}

    def day_network(active: tuple[int, ...]) -> _DayNetwork:
        if active not in networks:
            arrays = base.degraded(degrade([scenario.events[i] for i in active]))
            fast, safe = fastest_from(arrays, sources), most_reliable_from(arrays, sources)
            reach = np.isfinite(fast.dist[t_pos])
            survival = np.array(
                [survival_along(arrays, safe.edges(int(p))) if r else 0.0 for p, r in zip(t_pos, reach, strict=True)]
            )
            via = np.array([capital is not None and int(p) != capital and capital in fast.path(int(p)) for p in t_pos])
            networks[active] = _DayNetwork(arrays, reach, fast.dist[t_pos], survival, via)
        return networks[active]

    rows = []
    days = (end - start).days + 1
    for n in range(days):
        day = start + dt.timedelta(days=n)
        active = tuple(i for i, e in enumerate(scenario.events) if e.active_on(day))
        net = day_network(active)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(target > 0, stock / target, 1.0).min(axis=1)
        factors = tuple(_order_factor(r) for r in ratio)
        key = (active, factors)
        if key not in flows:
            orders = demand * np.array(factors)
            flow = fair_throughput(net.arrays, supplies, list(zip(t_pos.tolist(), orders.tolist(), strict=True)))
            transit = 0.0
            if capital is not None:
                transit = float(flow.edge_flow[net.arrays.src == capital].sum())
            flows[key] = (flow.delivered.copy(), transit)
        delivered, transit = flows[key]
        delivered = delivered.copy()
        if cap_i is not None and transit > 0:
            # Bamako forwards only what it can spare after its own consumption
            spare = stock[cap_i].sum() + delivered[cap_i] + transit - demand[cap_i]
            kept = min(transit - max(spare, 0.0), delivered[net.via_capital].sum()) if spare < transit else 0.0
            if kept > 0:
                weights = np.where(net.via_capital, delivered, 0.0)
                delivered -= kept * weights / weights.sum()
                delivered[cap_i] += kept
        inflow = delivered[:, None] * share[None, :]
        need = demand[:, None] * share[None, :]
        available = stock + inflow
        consumed = np.minimum(need, available)
        stock = np.minimum(available - consumed, np.maximum(target, 0.0))
        short = consumed < need - 1e-9
        for i, t in enumerate(towns):
            served = min(1.0, delivered[i] / demand[i]) if demand[i] > 0 else 1.0
            ratio_h = net.hours[i] / base_hours[i] if net.reachable[i] and base_hours[i] > 0 else float("inf")
            status = classify(
                reachable=bool(net.reachable[i]),
                served_fraction=served,
                survival=float(net.survival[i]),
                travel_time_ratio=ratio_h,
                thresholds=scenario.thresholds,
            )
            row = {
                "date": day,
                "town": t.name,
                "demand": t.demand,
                "inflow": round(float(delivered[i]), 3),
                "served_fraction": round(served, 4),
                "status": status,
            }
            for c, name in enumerate(COMMODITIES):
                row[f"{name}_stock_days"] = round(float(stock[i, c] / need[i, c]), 3) if need[i, c] > 0 else None
                row[f"{name}_short"] = bool(short[i, c])
            row["short"] = bool(short[i].any())
            rows.append(row)
        if progress:
            progress(1)
    frame = pd.DataFrame(rows)
    return TimelineResult(scenario, start, end, frame, _summarise(frame, start))


def simulate_period(scenario: Scenario) -> TimelineResult | None:
    """The day-by-day run of a scenario that has a period (start and end); ``None`` otherwise."""
    return simulate(scenario) if scenario.start is not None and scenario.end is not None else None


def _summarise(frame: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    out = []
    for town, rows in frame.groupby("town", sort=False):
        row = {"town": town}
        short = rows[rows["short"]]
        row["first_day_short"] = short["date"].iloc[0] if len(short) else None
        for name in COMMODITIES:
            out_days = rows[rows[f"{name}_short"]]
            row[f"{name}_stockout_date"] = out_days["date"].iloc[0] if len(out_days) else None
            row[f"{name}_min_stock_days"] = float(rows[f"{name}_stock_days"].min())
        first = row["first_day_short"]
        row["days_to_stockout"] = (first - start).days if first is not None else None
        row["days_short"] = int(rows["short"].sum())
        row["days_isolated"] = int((rows["status"] == "isolated").sum())
        row["worst_status"] = max(rows["status"], key=lambda s: ("open", "degraded", "besieged", "isolated").index(s))
        out.append(row)
    return pd.DataFrame(out)
