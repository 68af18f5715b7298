"""What a simulation gives: one row per day, town and commodity, summaries and the day's lanes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from siege import settings
from siege.scenario import Scenario
from siege.solver.status import STATUSES

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


@dataclass(frozen=True)
class SupplyRoute:
    """One lane a town's supply of a commodity can take: from a supply point or from its depot."""

    origin: str  # a supply point's name, or "<town> depot"
    origin_node: int  # node position in the road arrays
    edges: tuple[int, ...]  # edge positions along the lane
    trucks: float  # trucks/day the lane carried that day
    survival: float  # probability a convoy gets through (each event met once)
    willing: float  # share of orders truckers carry on it


@dataclass(frozen=True)
class StockLedger:
    """Each (day, town, commodity)'s stock account, as the simulation kept it: what the town could
    draw on at the start of the day (its stock, and a released reserve), what came into its own stock
    (for a depot, what it kept of what arrived), what it consumed, and its stock target. The
    relief planner's linear period model is written on these."""

    available: np.ndarray  # (day, town, commodity): stock that may be drawn at the start of the day
    inflow: np.ndarray  # (day, town, commodity): into the town's own stock that day
    consumed: np.ndarray  # (day, town, commodity)
    need: np.ndarray  # (day, town, commodity): the day's demand after rationing
    orders: np.ndarray  # (day, town, commodity): what it ordered (a depot: with its towns' orders)
    arrived: np.ndarray  # (day, town, commodity): what reached it (a depot: with what it forwarded)
    target: np.ndarray  # (town, commodity): the commercial stock target (a reserve is drawn only when released)


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
    #: town -> commodity -> the depot it draws on (its own name for a depot fed by supply points), or
    #: "supply points" for a town fed straight from them
    chain: dict[str, dict[str, str]] = field(default_factory=dict)
    policy: str = settings.DEFAULT_ALLOCATION
    #: (town, commodity) -> its supply lanes on ``routes_day``, most trucks first
    routes: dict[tuple[str, str], list[SupplyRoute]] = field(default_factory=dict)
    #: the day of ``routes``: the last day simulated unless the run was asked for another
    routes_day: dt.date | None = None
    #: the stock account of every day (not written to timeline.csv)
    ledger: StockLedger | None = None

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


def summaries(days, names, cnames, short, stock_days, status, start: dt.date):
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
