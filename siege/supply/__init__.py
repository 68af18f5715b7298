"""The supply model: chains, lanes, allocation, stocks and the day-by-day simulation.

One entry point, :func:`simulate`; :func:`supply_on` is one steady day of it.
"""

from siege.supply.allocation import POLICIES
from siege.supply.chain import Chain, build_chain, town_demand
from siege.supply.result import COLUMNS, SupplyRoute, TimelineResult
from siege.supply.simulate import SimulationMemo, period_of, simulate, simulate_period, supply_on

__all__ = [
    "COLUMNS",
    "POLICIES",
    "Chain",
    "SimulationMemo",
    "SupplyRoute",
    "TimelineResult",
    "build_chain",
    "period_of",
    "simulate",
    "simulate_period",
    "supply_on",
    "town_demand",
]
