"""Lanes: the routes supply takes on one day, for every commodity, with their threats and escorts.

A lane runs from an origin (a supply point, a depot) to a (town, commodity) pair along the most
reliable route at most ``CATCHMENT_FACTOR`` × the fastest (the fastest when none is safer); truckers
carry ``willing`` of what is ordered through it (``1 − risk / REFUSE_RISK``, each event met once), an
escort on its road gives an escorted variant. An escort also draws trucks onto its road: each origin
is offered, riding with it, the most reliable route with the escorted road taken as safe (at most
``CATCHMENT_FACTOR`` × the fastest), judged exactly like any lane. Lanes are built once per state of
the roads (the set of acting events) and shared by every day in that state.

Origins are numbered: supply points first, then one per depot (the lanes to its towns), then one
per depot and commodity (the lanes of towns falling back on it, whose capacity is what the depot has
left that day).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from siege import settings
from siege.scenario import degrade
from siege.solver.arrays import RoadArrays
from siege.solver.routes import RouteGraph, fastest_from
from siege.supply.allocation import Lane, SupplyProblem, lane_ends
from siege.supply.chain import Chain
from siege.supply.result import SupplyRoute

#: states of the roads whose routes are kept (then the cache starts again)
ROUTE_CACHE_LIMIT = 2_000


def _route(hours: np.ndarray, fastest: float, found, risky: dict, events):
    """The lane's route: of the routes ``found`` to its town (edge arrays: the most reliable, the
    fastest), the most reliable within ``CATCHMENT_FACTOR`` × the fastest (``fastest`` hours; the
    fastest when none is safer), with its hours, the events it meets and their risk; ``None`` when
    unreachable."""
    if not np.isfinite(fastest):
        return None
    candidates = []
    for edges in found:
        h = float(hours[edges].sum()) if len(edges) else 0.0
        met = tuple(sorted({e for p in edges.tolist() if p in risky for e in risky[p]}))
        risk = 1.0 - math.prod(1.0 - events[e].effect.risk for e in met if not events[e].effect.closed)
        if h <= fastest * settings.CATCHMENT_FACTOR + 1e-9:
            candidates.append((-willing(risk), h, edges, met, risk))
    _, h, edges, met, risk = min(candidates, key=lambda t: (t[0], t[1]))
    return h, edges, met, risk


def _escorted_route(hours: np.ndarray, fastest: float, edges: np.ndarray, escorted: set[int], risky: dict, events):
    """The route an escort draws trucks onto (found with the escorted road taken as safe), as
    :func:`_route` gives one: ``None`` when it does not take the escorted road, is unreachable or is
    slower than ``CATCHMENT_FACTOR`` × the fastest."""
    if not np.isfinite(fastest) or not len(edges) or not escorted.intersection(edges.tolist()):
        return None
    h = float(hours[edges].sum())
    if h > fastest * settings.CATCHMENT_FACTOR + 1e-9:
        return None
    met = tuple(sorted({e for p in edges.tolist() if p in risky for e in risky[p]}))
    risk = 1.0 - math.prod(1.0 - events[e].effect.risk for e in met if not events[e].effect.closed)
    return h, edges, met, risk


def _family_graphs(families, graphs: list, hours_of: list, risky: bool, k: int) -> tuple[RouteGraph, RouteGraph]:
    """Family ``k``'s weighted graphs (fastest, most reliable), built once into ``graphs`` and searched
    from every origin; ``hours_of[k]`` its hours (a property computed over every edge: once)."""
    if graphs[k] is None:
        fastest = RouteGraph.fastest(families[k])
        # with no threat on the commodity's roads the most reliable route is the fastest
        graphs[k] = (fastest, RouteGraph.most_reliable(families[k]) if risky else fastest)
        hours_of[k] = families[k].hours
    return graphs[k]


def _without_river(arrays: RoadArrays) -> RoadArrays:
    return replace(arrays, closed=arrays.closed | (arrays.mode == "river"))


def _distinct(found):
    """The routes found, each once (``None``: unreachable, dropped)."""
    out, seen = [], set()
    for r in found:
        if r is None:
            continue
        key = tuple(r[1].tolist())
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def willing(risk: float) -> float:
    """Share of orders truckers carry through a lane of this risk."""
    return max(0.0, 1.0 - risk / settings.REFUSE_RISK)


def depot_origin(n_points: int, n_depots: int, slot: int, C: int, c: int) -> int:
    """The origin of the fallback lanes from a depot (by slot) for commodity ``c``."""
    return n_points + n_depots + slot * C + c


def origin_depot(o: int, n_points: int, n_depots: int, C: int) -> int:
    """The depot slot of a depot origin (its lanes to its towns, or a fallback origin)."""
    k = o - n_points
    return k if k < n_depots else (k - n_depots) // C


@dataclass(frozen=True)
class DayRoads:
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

    @functools.cached_property
    def fallback_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~siege.supply.allocation.lane_ends` of the fallback lanes, built once."""
        return lane_ends(self.fallback)


def corridor_targets(scenario, roads: DayRoads, points, allowed: np.ndarray, roots: np.ndarray, C: int):
    """What each gateway with a documented share normally sends of a commodity today: its share of what
    the towns fed by gateways may receive, on its lanes (positions in the day's problem)."""
    if not scenario.corridor_shares:
        return []
    want = np.where(roots, allowed.reshape(-1, C), 0.0).sum(axis=0)
    out = []
    for c, commodity in enumerate(scenario.commodities):
        shares = scenario.corridor_shares.get(commodity.name, {})
        for j, p in enumerate(points):
            if p.name in shares:
                ix = [k for k, ln in enumerate(roads.problem.lanes) if ln.origin == j and ln.dest % C == c]
                out.append((np.array(ix, dtype=np.int64), shares[p.name] * float(want[c])))
    return out


def day_roads(scenario, base, chain: Chain, points, road_events, escorts, routes: dict | None = None) -> DayRoads:
    """Lanes for every commodity with the given events acting (cached per set of events)."""
    towns = scenario.on_network
    pos = base.index
    routes = {} if routes is None else routes
    T, C = len(towns), len(scenario.commodities)
    depots = chain.depots
    depot_slot = {d: k for k, d in enumerate(depots)}
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
    has_river = base.mode is not None and bool(np.any(base.mode == "river"))
    edge_positions: dict[int, set[int]] = {}

    def positions_of(e: int) -> set[int]:
        """Edge positions event ``e`` acts on (looked up once per event, not once per lane)."""
        if e not in edge_positions:
            edge_positions[e] = {position[x] for x in events[e].edges if x in position}
        return edge_positions[e]

    def zones_of(edges: np.ndarray, o: int, name: str) -> tuple[int, ...]:
        """The capped zones a lane from origin ``o`` crosses, its origin's own cap for the commodity last."""
        crossed = tuple(
            z for z, zs in zone_edges.items() if events[zones[z]].targets(name) and zs.intersection(edges.tolist())
        )
        own = tuple(len(zones) + k for k, (j, cap_of, _) in enumerate(point_caps) if j == o and cap_of == name)
        return crossed + own

    def escorted_lane(k: int, o: int, d: int, c: int, edges, h: float, met, lane_zones, fb: bool, out: list) -> None:
        """A lane riding with escort ``k``: the events on its escorted road meet risk × its factor."""
        factor = events[escort_list[k]].param("risk_factor", settings.ESCORT_RISK_FACTOR)
        covered = {e for e in met if positions_of(e) & escort_edges[k]}
        r_esc = 1.0 - math.prod(
            1.0 - events[e].effect.risk * (factor if e in covered else 1.0) for e in met if not events[e].effect.closed
        )
        out.append(Lane(o, d * C + c, edges, h, willing(r_esc), 1.0 - r_esc, lane_zones, k, factor))
        if fb:
            fb_survival[d, c] = max(fb_survival[d, c], 1.0 - r_esc)
        else:
            lane_events.append(met)
        if not fb and (chain.supplier[d, c] == d or o >= n_points):
            survival[d, c] = max(survival[d, c], 1.0 - r_esc)

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
        # a lane by road only, and where the river is open a lane that takes the boat for part of the
        # way: boats carry little (a reach's capacity) and trucks the rest, so both are offered
        river_open = has_river and bool(np.any((arrays.mode == "river") & arrays.open))
        families = [_without_river(arrays), arrays] if river_open else [arrays]
        carriers = [j for j, p in enumerate(points) if commodity.name in p.commodities]
        if carriers:
            reach = fastest_from(arrays, [pos[points[j].node] for j in carriers]).dist
            reachable[:, c] = np.isfinite(reach[[pos[t.node] for t in towns]])
        # origin → destination pairs: supply points → towns they feed (their catchment), depots → their
        # towns; fallback: supply points and other depots (an origin of their own per commodity) → towns
        sup = chain.supplier[:, c]
        pairs = [(j, i, False) for i in range(T) if sup[i] == i for j in chain.sources.get((i, c), [])]
        pairs += [(n_points + depot_slot[int(sup[i])], i, False) for i in range(T) if sup[i] != i]
        pairs += [(j, i, True) for i in range(T) for j in chain.fallback.get((i, c), [])]
        pairs += [
            (depot_origin(n_points, len(depots), depot_slot[d], C, c), i, True)
            for i in range(T)
            for d in chain.depot_fallback.get((i, c), [])
        ]
        by_origin: dict[int, list[tuple[int, bool]]] = {}
        for o, d, fb in pairs:
            by_origin.setdefault(o, []).append((d, fb))
        # a route depends only on the events acting on the commodity: shared by commodities and by
        # states of the roads that agree on them (``routes``: the caller's cache)
        state = tuple((i, events[i]) for i in active)
        if len(routes) > ROUTE_CACHE_LIMIT:
            routes.clear()
        known = routes.setdefault(state, {})  # (origin node, town node) -> route, in this state
        graphs: list[tuple[RouteGraph, RouteGraph] | None] = [None] * len(families)
        hours_of: list[np.ndarray] = [np.empty(0)] * len(families)

        # escorts on this commodity's roads, each with its own routes (by road: an escort rides with trucks)
        escorting = [k for k, i in enumerate(escort_list) if events[i].targets(commodity.name) and escort_edges[k]]
        escorted_known = {
            k: routes.setdefault(("escorted", state, escort_list[k], events[escort_list[k]]), {}) for k in escorting
        }
        escorted_graphs: dict[int, RouteGraph] = {}
        for o, dests in by_origin.items():
            node = (
                pos[points[o].node]
                if o < n_points
                else pos[towns[depots[origin_depot(o, n_points, len(depots), C)]].node]
            )
            targets = [pos[towns[d].node] for d, _ in dests]
            if any((node, t) not in known for t in targets):
                found_by = []
                for k in range(len(families)):
                    fastest_graph, safest_graph = _family_graphs(families, graphs, hours_of, bool(risky), k)
                    fast = fastest_graph.routes_from([node])
                    safe = safest_graph.routes_from([node]) if risky else fast
                    # every target's routes walked at once (the most reliable first, as they are judged)
                    found = [safe.edges_to(targets)] + ([fast.edges_to(targets)] if safe is not fast else [])
                    found_by.append(
                        [
                            _route(hours_of[k], fast.dist[t], [f[i] for f in found], risky, events)
                            for i, t in enumerate(targets)
                        ]
                    )
                for i, t in enumerate(targets):
                    known[(node, t)] = _distinct(f[i] for f in found_by)
            for k in escorting:
                ek = escorted_known[k]
                missing = [t for t in targets if (node, t) not in ek]
                if not missing:
                    continue
                road = families[0]
                if k not in escorted_graphs:
                    # the escorted road searched as safe: a search counts an event once per edge, so a
                    # threat spread over many segments of the escorted road would hide it; the lane
                    # found is then judged exactly (each event once, × the escort's factor)
                    risk = road.risk.copy()
                    risk[list(escort_edges[k])] = 0.0
                    escorted_graphs[k] = RouteGraph.most_reliable(replace(road, risk=risk))
                fastest = _family_graphs(families, graphs, hours_of, bool(risky), 0)[0].routes_from([node]).dist
                found = escorted_graphs[k].routes_from([node]).edges_to(missing)
                for t, edges in zip(missing, found, strict=True):
                    ek[(node, t)] = _escorted_route(hours_of[0], fastest[t], edges, escort_edges[k], risky, events)
            for (d, fb), target in zip(dests, targets, strict=True):
                out = fallback if fb else lanes
                for h, edges, met, risk in known[(node, target)]:
                    dest = d * C + c
                    lane_zones = zones_of(edges, o, commodity.name)
                    out.append(Lane(o, dest, edges, h, willing(risk), 1.0 - risk, lane_zones))
                    if fb:
                        fb_survival[d, c] = max(fb_survival[d, c], 1.0 - risk)
                        fb_hours[d, c] = min(fb_hours[d, c], h)
                    else:
                        lane_events.append(met)
                    if not fb and (sup[d] == d or o >= n_points):
                        survival[d, c] = max(survival[d, c], 1.0 - risk)
                        hours[d, c] = min(hours[d, c], h)
                    # escorted variants: the events on the escorted road meet risk × the escort's factor
                    for k in escorting:
                        if escort_edges[k].intersection(edges.tolist()):
                            escorted_lane(k, o, d, c, edges, h, met, lane_zones, fb, out)
                # an escort draws trucks onto its road: the most reliable route with the escorted road
                # taken as safe, where it differs from the lanes above (tankers from Dakar join the
                # escorted RN1 rather than detour by Kita)
                for k in escorting:
                    route = escorted_known[k].get((node, target))
                    if route is None or any(np.array_equal(route[1], r[1]) for r in known[(node, target)]):
                        continue
                    h, edges, met, _ = route
                    escorted_lane(k, o, d, c, edges, h, met, zones_of(edges, o, commodity.name), fb, out)
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
        origin_capacity=np.array([p.capacity for p in points] + [np.inf] * (len(depots) * (1 + C))),
        zone_capacity=np.array(
            [events[i].effect.capacity_trucks_per_day for i in zones] + [cap for _, _, cap in point_caps], dtype=float
        ),
        escort_capacity=np.array([events[i].param("capacity") for i in escort_list], dtype=float),
        n_dest=T * C,
    )
    zone_labels = tuple(
        [f"#{i} {events[i].label}" for i in zones] + [f"{points[j].name}'s {name} limit" for j, name, _ in point_caps]
    )
    return DayRoads(
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


def routes_of(
    roads: DayRoads, x: np.ndarray, points, towns, depots, commodities, base: RoadArrays, x_fb=None, carried=None
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
            depot = towns[depots[origin_depot(lane.origin, n_points, len(depots), C)]]
            name, node = f"{depot.name} depot", base.index[depot.node]
        out.setdefault((towns[town].name, commodities[c].name), []).append(
            SupplyRoute(name, node, tuple(lane.edges.tolist()), float(trucks), lane.survival, lane.willing)
        )
    for lanes in out.values():
        lanes.sort(key=lambda r: (-round(r.trucks, 6), -r.willing, -r.survival, len(r.edges)))
    return out


def _all_flows(roads: DayRoads, x: np.ndarray) -> np.ndarray:
    """Flow on every lane, refused lanes (not in the problem) carrying 0."""
    flows = np.zeros(len(roads.all_lanes))
    flows[list(roads.kept)] = x
    return flows
