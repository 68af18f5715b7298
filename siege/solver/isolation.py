"""Per-town supply isolation on one (possibly degraded) network: the solver's single entry point."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from siege.solver.arrays import RoadArrays
from siege.solver.flow import chokepoints, fair_throughput
from siege.solver.routes import fastest_from, most_reliable_from, survival_along


@dataclass(frozen=True)
class SupplyInput:
    name: str
    node: int  # node position in the arrays
    capacity: float


@dataclass(frozen=True)
class TownInput:
    name: str
    node: int  # node position in the arrays
    demand: float


@dataclass
class TownState:
    """What the solver finds for one town."""

    name: str
    demand: float
    reachable: bool
    hours: float
    origin: str | None
    reachable_from_capital: bool
    hours_from_capital: float
    survival: float
    route: list[int]  # node positions of the most reliable route
    route_edges: list[int]
    route_origin: str | None
    delivered: float
    cut_edges: list[int] = field(default_factory=list)
    cut_capacity: float = 0.0
    cut_km: list[float] = field(default_factory=list)  # each chokepoint's distance from the town

    @property
    def served_fraction(self) -> float:
        return min(1.0, self.delivered / self.demand) if self.demand > 0 else 1.0


def solve(
    arrays: RoadArrays,
    supplies: Sequence[SupplyInput],
    towns: Sequence[TownInput],
    *,
    capital: int | None = None,
    with_chokepoints: bool = True,
    with_throughput: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[TownState], np.ndarray]:
    """Solve every town at once; returns the town states and the flow on each edge (trucks/day).
    ``with_throughput=False`` skips the fair throughput (``delivered`` is NaN, the flow zeros), for
    callers that take served fractions from the supply model."""
    sources = sorted({s.node for s in supplies})
    name_at = {s.node: s.name for s in supplies}
    fast = fastest_from(arrays, sources)
    safe = most_reliable_from(arrays, sources)
    from_capital = fastest_from(arrays, [capital]) if capital is not None else None
    if with_throughput:
        flow = fair_throughput(arrays, [(s.node, s.capacity) for s in supplies], [(t.node, t.demand) for t in towns])
        delivered, edge_flow = flow.delivered, flow.edge_flow
    else:
        delivered, edge_flow = np.full(len(towns), np.nan), np.zeros(len(arrays.keys))
    states = []
    for i, t in enumerate(towns):
        route_edges = safe.edges(t.node)
        reachable = bool(np.isfinite(fast.dist[t.node]))
        state = TownState(
            name=t.name,
            demand=t.demand,
            reachable=reachable,
            hours=float(fast.dist[t.node]),
            origin=name_at.get(int(fast.origin[t.node])) if reachable else None,
            reachable_from_capital=bool(from_capital is not None and np.isfinite(from_capital.dist[t.node])),
            hours_from_capital=float(from_capital.dist[t.node]) if from_capital is not None else float("nan"),
            survival=survival_along(arrays, route_edges) if reachable else 0.0,
            route=safe.path(t.node),
            route_edges=route_edges,
            route_origin=name_at.get(int(safe.origin[t.node])) if reachable else None,
            delivered=float(delivered[i]),
        )
        if with_chokepoints and reachable:
            cut = chokepoints(arrays, sources, t.node)
            state.cut_edges, state.cut_capacity = cut.edges.tolist(), cut.capacity
        states.append(state)
        if progress:
            progress(1)
    return states, edge_flow
