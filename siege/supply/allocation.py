"""Supply along lanes: which trucks of which commodity go from which origin to which town, today.

A **lane** is the fastest open route from one origin (an import gateway, a producing region or a
depot) to one destination for one commodity. The deliveries on all lanes are solved together as a
linear programme (``scipy.optimize.linprog``, HiGHS):

- trucks of every commodity share each road's capacity (trucks/day);
- an origin sends at most its capacity;
- under threat, truckers carry only a share ``willing`` of what a town orders through a lane
  (``1 − risk / REFUSE_RISK``, each event on the lane counted once): a lane with willingness 0.4
  can bring at most 40 % of the orders placed on it, whatever the road could carry. Threat-free
  lanes are not limited by this rule: they carry what is ordered (restocking included) up to the
  roads', gateways' and escorts' limits, so a stock refills as soon as a safe road is open, and
  a threatened lane refills it at its willingness of that rate;
- an event's ``capacity_trucks_per_day`` caps the trucks crossing it (each lane counted once);
- an escort lets up to its capacity cross its road at a lower risk (escorted lanes);
- a blockaded town receives at most the share its blockade lets in of its normal day's traffic
  (``quota``); the blockade is a declared threat to every truck bound for the town, so an escorted
  lane's share is larger (:func:`blockade_shares`), up to the escort's capacity.

Who gets scarce supply is a policy (:data:`POLICIES`): ``max-min`` (progressive filling: the
worst-served town as well served as possible, then the next …; the default), ``proportional`` (one
served fraction for every town as far as roads allow, then the trucks left go wherever roads let
them) or ``priority`` (ranked towns first, each rank by max-min, then the others). Among equal
answers, the one closest to the documented corridor shares (``targets``: trucks a day each gateway
normally sends of a commodity) is taken, and only then the shortest lanes: the normal day follows the
published corridor pattern, not an accident of route length, and degrades from there.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import csr_array

from siege import settings

POLICIES = settings.ALLOCATION_POLICIES
#: weight of a truck a day away from a corridor's documented share: below any served-fraction gain
#: (at least 1 / orders per truck), above any difference of route hours
_SHARE_COST = 1e-5
#: weight of travel hours against delivered trucks in the objective: only breaks the remaining ties
_HOUR_COST = 1e-8
_TOL = 1e-7


@dataclass(frozen=True)
class Lane:
    """One origin → destination route for one commodity."""

    origin: int
    dest: int  # index of the (destination, commodity) pair the lane serves
    edges: np.ndarray  # edge positions along the route
    hours: float
    willing: float  # share of the orders placed on it that truckers carry (0–1)
    survival: float  # probability a convoy gets through: Π over the events met of (1 − risk)
    zones: tuple[int, ...] = ()  # capped zones (events with capacity_trucks_per_day) it crosses
    escort: int = -1  # the escort it rides with (-1: none)
    #: what its escort multiplies a town blockade's declared threat by (1: not escorted): a blockade
    #: letting in a share ``s`` of the town's traffic lets in ``1 − (1 − s) × ban_factor`` of an
    #: escorted lane's (see :func:`blockade_shares`)
    ban_factor: float = 1.0


@dataclass(frozen=True)
class SupplyProblem:
    """Everything but the day's orders: lanes, capacities, caps. Built once per state of the roads."""

    lanes: Sequence[Lane]
    edge_capacity: np.ndarray  # trucks/day per edge, shared by all commodities
    origin_capacity: np.ndarray  # trucks/day per origin (inf: unlimited)
    zone_capacity: np.ndarray  # trucks/day per capped zone
    escort_capacity: np.ndarray  # trucks/day per escort
    n_dest: int

    @functools.cached_property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`lane_ends` of its lanes, built once."""
        return lane_ends(self.lanes)

    @functools.cached_property
    def incidence(self) -> _Incidence:
        """Which lanes use which edges, zones and escorts (each counted once per lane), built once."""
        lanes = self.lanes
        L = len(lanes)
        if L:
            e_idx = np.concatenate([np.asarray(ln.edges, dtype=np.int64) for ln in lanes])
            l_idx = np.repeat(np.arange(L), [len(ln.edges) for ln in lanes])
        else:
            e_idx = l_idx = np.zeros(0, dtype=np.int64)
        used, inverse = np.unique(e_idx, return_inverse=True)
        pair = np.unique(np.stack([inverse, l_idx]), axis=1)  # a lane counts once per edge
        zl = np.array([(z, i) for i, ln in enumerate(lanes) for z in set(ln.zones)], dtype=np.int64).reshape(-1, 2).T
        el = np.array([(ln.escort, i) for i, ln in enumerate(lanes) if ln.escort >= 0], dtype=np.int64).reshape(-1, 2).T
        n_e = len(self.edge_capacity)
        return _Incidence(
            used,
            pair,
            zl,
            el,
            csr_array((np.ones(pair.shape[1]), (used[pair[0]], pair[1])), shape=(n_e, L)),
            np.fromiter((ln.origin for ln in lanes), dtype=np.int64, count=L),
            np.fromiter((ln.dest for ln in lanes), dtype=np.int64, count=L),
        )


@dataclass(frozen=True)
class _Incidence:
    used_edges: np.ndarray  # edges some lane uses
    pair: np.ndarray  # (position in used_edges, lane), each pair once
    zone_lane: np.ndarray  # (zone, lane)
    escort_lane: np.ndarray  # (escort, lane)
    edge_lane: csr_array  # edges × lanes, 1 where the lane uses the edge
    origin: np.ndarray  # per lane
    dest: np.ndarray  # per lane


def lane_ends(lanes: Sequence[Lane]) -> tuple[np.ndarray, np.ndarray]:
    """Each lane's destination and the factor its escort puts on a town blockade (for
    :func:`blockade_shares`)."""
    dest = np.fromiter((ln.dest for ln in lanes), dtype=np.int64, count=len(lanes))
    factor = np.fromiter((ln.ban_factor for ln in lanes), dtype=float, count=len(lanes))
    return dest, factor


def blockade_shares(ends: tuple[np.ndarray, np.ndarray], let_in: np.ndarray) -> np.ndarray:
    """The share of a blockaded town's normal traffic each lane (``ends``: :func:`lane_ends`) may
    bring (1: no blockade).

    A blockade letting in ``s`` of the traffic reads as a declared threat of risk ``(1 − s) ×
    REFUSE_RISK`` on every truck bound for the town (the willingness rule backwards); a truck riding
    with an escort meets it multiplied by the escort's risk factor ``f``, so it is let in at
    ``1 − (1 − s) × f`` (a ban letting in 40 % lets an escorted lane in at 70 % with the default
    ``f = 0.5``). A closed blockade (``s = 0``) stays closed to escorted trucks too: only convoys,
    which arrive as pulses, enter it."""
    dest, factor = ends
    s = np.asarray(let_in, dtype=float)[dest]
    return np.where((s > 0) & (s < 1), 1.0 - (1.0 - s) * factor, s)


def blockade_allowed(
    ends: Sequence[tuple[np.ndarray, np.ndarray]], orders: np.ndarray, let_in: np.ndarray, quota: np.ndarray
) -> np.ndarray:
    """Most each destination may receive: its orders, and where a blockade lets in a share of its
    ``quota`` (the normal day's traffic), that share by its best lane (escorted lanes included; ``ends``:
    :func:`lane_ends` of each set of lanes)."""
    orders = np.asarray(orders, dtype=float)
    let_in = np.asarray(let_in, dtype=float)
    if not (let_in < 1.0).any():
        return orders
    best = let_in.copy()
    for e in ends:
        if len(e[0]):
            np.maximum.at(best, e[0], blockade_shares(e, let_in))
    return np.where(let_in < 1.0, np.minimum(best * np.asarray(quota, dtype=float), orders), orders)


def solve_supply(
    problem: SupplyProblem,
    orders: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    let_in: np.ndarray | None = None,
    quota: np.ndarray | None = None,
    normal: np.ndarray | None = None,
    policy: str = "max-min",
    priority: np.ndarray | None = None,
    targets: Sequence[tuple[np.ndarray, float]] | None = None,
) -> np.ndarray:
    """Trucks/day on every lane for the day's ``orders`` (per destination pair), under ``policy``.

    ``allowed`` caps what each destination may receive (default: its order); where a blockade lets in
    a share ``let_in`` of a destination's ``quota``, its lanes together bring at most ``quota`` counted
    at each lane's share (:func:`blockade_shares`: escorted lanes at a larger one); ``normal`` is
    the traffic of which truckers carry a threatened lane's willingness (default: the order, restocking
    included); ``priority`` is a rank per destination (lower first; only for
    the ``priority`` policy); ``targets`` are (lane positions, trucks a day) pairs: what a gateway
    normally sends of a commodity on those lanes, followed among equal answers.
    """
    targets = [(np.asarray(ix, dtype=np.int64), float(t)) for ix, t in (targets or []) if len(ix)]
    lanes = problem.lanes
    L = len(lanes)
    if L == 0:
        return np.zeros(0)
    orders = np.asarray(orders, dtype=float)
    allowed = orders.copy() if allowed is None else np.minimum(allowed, orders)
    lane_dest = problem.incidence.dest
    willing = np.fromiter((ln.willing for ln in lanes), dtype=float, count=L)
    hours = np.fromiter((ln.hours for ln in lanes), dtype=float, count=L)
    normal = orders if normal is None else np.asarray(normal, dtype=float)
    rows = _constraints(problem, lanes, lane_dest, willing, normal, allowed)
    if let_in is not None and quota is not None:
        _blockade_rows(rows, problem.ends, lane_dest, let_in, quota, allowed)
    # destination rows: delivered to each destination pair, as a matrix D (n_dest × L)
    D = csr_array((np.ones(L), (lane_dest, np.arange(L))), shape=(problem.n_dest, L))
    can = (np.asarray(D.sum(axis=1)).ravel() > 0) & (allowed > _TOL)
    level = np.zeros(problem.n_dest)  # served fraction each destination is guaranteed so far
    fixed = ~can
    groups: list[np.ndarray] = []
    if policy == "priority" and priority is not None:
        for rank in np.unique(priority[can]):
            groups.append(can & (priority == rank))
    else:
        groups.append(can.copy())

    x = np.zeros(L)
    lp = _Programme(rows, D, orders, hours, targets)
    for group in groups:
        active = group & ~fixed
        rounds = 0
        while active.any():
            rounds += 1
            lam, x_level = lp.max_level(level, fixed, active)
            if lam is None:
                break
            # which destinations can still go higher, with everyone else at least at their level?
            level[active] = lam
            x_fill = lp.fill(level, active | fixed, active, trucks=policy == "proportional")
            x = x_fill if x_fill is not None else x_level
            served = _served(D, x, orders)
            higher = active & (served > lam + 1e-6)
            # those that went higher all reached their whole order: no further round can change them
            # (the next one would find λ = 1 and the same filling), so the filling is the answer
            complete = higher.any() and bool((served[higher] >= 1.0 - 1e-9).all())
            if policy == "proportional" or rounds >= 6 or not higher.any() or complete:
                # proportional stops after one level: the rest is filled by the last programme
                fixed |= active
                level[active] = np.maximum(level[active], np.where(active, served, 0.0)[active])
                break
            fixed |= active & ~higher
            active = higher
    if not groups or not x.any():
        x = np.zeros(L)
    return np.maximum(x, 0.0)


@dataclass(frozen=True)
class Used:
    """What flows ``x`` take of a problem's capacities: per edge, origin, capped zone and escort."""

    edge: np.ndarray
    origin: np.ndarray
    zone: np.ndarray
    escort: np.ndarray


def used_capacity(problem: SupplyProblem, x: np.ndarray) -> Used:
    """The capacities lane flows ``x`` use (a lane counts once per edge and per zone)."""
    inc = problem.incidence
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    zone = np.zeros(len(problem.zone_capacity))
    escort = np.zeros(len(problem.escort_capacity))
    if inc.zone_lane.size:
        np.add.at(zone, inc.zone_lane[0], x[inc.zone_lane[1]])
    if inc.escort_lane.size:
        np.add.at(escort, inc.escort_lane[0], x[inc.escort_lane[1]])
    return Used(
        inc.edge_lane @ x if len(x) else np.zeros(len(problem.edge_capacity)),
        np.bincount(inc.origin, weights=x, minlength=len(problem.origin_capacity)).astype(float),
        zone,
        escort,
    )


def residual(problem: SupplyProblem, used: Used, lanes: Sequence[Lane]) -> SupplyProblem:
    """``problem``'s capacities less what is ``used``, for the further ``lanes`` (same indices of
    origins, zones and escorts): what is left for a second call on the same roads the same day."""

    def left(cap, taken):
        return np.maximum(cap.astype(float) - taken, 0.0)  # solver tolerance leaves tiny negatives

    return SupplyProblem(
        list(lanes),
        left(problem.edge_capacity, used.edge),
        left(problem.origin_capacity, used.origin),
        left(problem.zone_capacity, used.zone),
        left(problem.escort_capacity, used.escort),
        problem.n_dest,
    )


def _served(D: csr_array, x: np.ndarray, orders: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(orders > 0, (D @ x) / orders, 1.0)


class _Rows:
    """Rows ``A x <= b`` gathered as (row, column, value) triplets, made one sparse matrix at the end."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        self.n = 0

    def add(self, row_idx, col_idx, vals, n_rows: int, b) -> None:
        self.r.append(np.asarray(row_idx, dtype=np.int64) + self.n)
        self.c.append(np.asarray(col_idx, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=float))
        self.b.append(np.asarray(b, dtype=float))
        self.n += n_rows

    def matrix(self, n_cols: int) -> tuple[csr_array, np.ndarray]:
        A = csr_array(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))), shape=(self.n, n_cols)
        )
        return A, np.concatenate(self.b)


def _constraints(problem, lanes, lane_dest, willing, normal, allowed) -> _Rows:
    """Rows ``A x <= b`` common to every programme of the day."""
    L = len(lanes)
    rows = _Rows()
    add = rows.add

    # shared road capacity, on the edges lanes use
    inc = problem.incidence
    used, pair = inc.used_edges, inc.pair
    # a road whose capacity exceeds all its lanes' destinations may receive cannot bind: no row for it
    # (most roads carry far more trucks a day than any day's orders; the programme stays small)
    n_dest = len(allowed)
    codes = np.unique(pair[0] * n_dest + lane_dest[pair[1]])  # each (edge, destination) once
    most = np.bincount(codes // n_dest, weights=allowed[codes % n_dest], minlength=len(used))
    binding = problem.edge_capacity[used] < most * (1 + 1e-9)
    rows_of = np.cumsum(binding) - 1
    sel = binding[pair[0]]
    add(
        rows_of[pair[0][sel]],
        pair[1][sel],
        np.ones(int(sel.sum())),
        int(binding.sum()),
        problem.edge_capacity[used][binding],
    )
    # origins
    origin = inc.origin
    finite = np.isfinite(problem.origin_capacity)
    keep = finite[origin]
    o_rows = np.cumsum(finite) - 1
    add(
        o_rows[origin[keep]],
        np.flatnonzero(keep),
        np.ones(keep.sum()),
        int(finite.sum()),
        problem.origin_capacity[finite],
    )
    # capped zones and escorts (a lane counts once per zone)
    for pairs, capacity in ((inc.zone_lane, problem.zone_capacity), (inc.escort_lane, problem.escort_capacity)):
        if pairs.size:
            add(pairs[0], pairs[1], np.ones(pairs.shape[1]), len(capacity), capacity)
    # willingness: under threat, truckers carry at most `willing` of what a destination orders through
    # its threatened lanes (Σ x / willing ≤ orders); threat-free lanes are not in this row
    threatened = np.flatnonzero(willing < 1.0 - 1e-12)
    if len(threatened):
        add(lane_dest[threatened], threatened, 1.0 / willing[threatened], len(normal), normal)
    # blockades and orders: at most what may enter
    add(lane_dest, np.arange(L), np.ones(L), len(allowed), allowed)
    return rows


def _blockade_rows(rows: _Rows, ends, lane_dest, let_in, quota, allowed) -> None:
    """A blockaded destination's lanes bring at most its quota, each counted at its share
    (``Σ x / share ≤ quota``): a row only where some lane's share is below what ``allowed`` lets in
    (an escorted lane raised it), since otherwise ``Σ x ≤ allowed`` already holds it."""
    if not (np.asarray(let_in) < 1.0).any():
        return
    share = blockade_shares(ends, let_in)
    quota = np.asarray(quota, dtype=float)
    inside = (share > 0) & (share < 1.0)
    low = np.zeros(len(quota), dtype=bool)
    low[lane_dest[inside & (share * quota[lane_dest] < allowed[lane_dest] * (1 - 1e-9))]] = True
    on = np.flatnonzero(inside & low[lane_dest])
    if len(on):
        row_of = np.cumsum(low) - 1
        rows.add(row_of[lane_dest[on]], on, 1.0 / share[on], int(low.sum()), quota[low])


class _Programme:
    """The day's programmes as one HiGHS model, changed between the rounds of the filling instead of
    rebuilt: columns are the lane flows, the common level λ and two deviation columns per corridor
    target; rows the day's constraints, the targets' rows and one row per destination
    (``λ·order − delivered ≤ bound``, its λ coefficient and bound set per programme). HiGHS starts each
    programme from the last one's basis."""

    def __init__(self, rows: _Rows, D: csr_array, orders, hours, targets) -> None:
        global _solver
        L = D.shape[1]
        self.L, self.G = L, len(targets)
        self.orders = orders
        self.D = D
        self.dests = np.flatnonzero(np.diff(D.indptr) > 0)  # destinations with a lane
        self.hours = hours
        n = L + 1 + 2 * self.G
        self.lam = L
        for k, (ix, t) in enumerate(targets):  # Σ x − above ≤ t and −Σ x − below ≤ −t
            m = len(ix)
            rows.add(
                np.r_[np.zeros(m + 1), np.ones(m + 1)],
                np.r_[ix, L + 1 + 2 * k, ix, L + 2 + 2 * k],
                np.r_[np.ones(m), -1.0, -np.ones(m), -1.0],
                2,
                [t, -t],
            )
        # per destination with a lane: a level row (order·λ − delivered ≤ 0 while active, else free)
        # and a floor row (−delivered ≤ −kept level × order, else free); only bounds change between
        # programmes, so HiGHS starts from the last basis
        Dd = D[self.dests].tocoo()
        nd = len(self.dests)
        self.first_dest_row = rows.n
        rows.add(
            np.r_[Dd.row, np.arange(nd)],
            np.r_[Dd.col, np.full(nd, L)],
            np.r_[-Dd.data, orders[self.dests]],
            nd,
            np.full(nd, np.inf),
        )
        rows.add(Dd.row, Dd.col, -Dd.data, nd, np.full(nd, np.inf))
        A, b = rows.matrix(n)
        if _solver is None:
            _solver = QuietHighs()
            _solver.setOptionValue("output_flag", False)
            # primal simplex from the last basis: between rounds only the objective and bounds change,
            # so the last answer stays feasible and primal simplex needs half the iterations of the
            # default; no presolve, which would discard that basis (measured: 2.7 → 1.4 ms a programme)
            _solver.setOptionValue("simplex_strategy", 4)
            _solver.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, A.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = np.full(A.shape[0], -highspy.kHighsInf)
        lp.row_upper_ = np.where(np.isfinite(b), b, highspy.kHighsInf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(float)
        _solver.passModel(lp)
        self.h = _solver
        self.n = n

    def _set(self, cost: np.ndarray, lam_upper: float, level_bound: np.ndarray, floor: np.ndarray):
        h = self.h
        nd = len(self.dests)
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        h.changeColBounds(self.lam, 0.0, lam_upper)
        rows = np.arange(self.first_dest_row, self.first_dest_row + 2 * nd, dtype=np.int32)
        upper = np.r_[level_bound, floor]
        h.changeRowsBounds(
            len(rows),
            rows,
            np.full(len(rows), -highspy.kHighsInf),
            np.where(np.isfinite(upper), upper, highspy.kHighsInf),
        )
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value)

    def max_level(self, level, fixed, active):
        """Largest common served fraction λ of the ``active`` destinations, the ``fixed`` ones kept at
        their level: (λ, flows), or (None, None)."""
        o = self.orders[self.dests]
        act, fx = active[self.dests], (fixed & (level > 0))[self.dests]
        cost = np.zeros(self.n)
        cost[: self.L] = _HOUR_COST * self.hours
        cost[self.lam] = -1.0
        sol = self._set(cost, 1.0, np.where(act, 0.0, np.inf), np.where(fx, -(level[self.dests] * o) + 1e-9, np.inf))
        if sol is None:
            return None, None
        return float(sol[self.lam]), sol[: self.L]

    def fill(self, level, keep, active, *, trucks: bool = False):
        """Most total served fraction (or, with ``trucks``, most trucks) of the ``active``
        destinations, every destination in ``keep`` at least at its level; among equal answers the
        nearest to the corridor targets, then the shortest lanes."""
        orders = self.orders
        with np.errstate(divide="ignore"):
            per = 1.0 if trucks else 1.0 / np.where(orders > 0, orders, 1.0)
            weight = np.where(active & (orders > 0), per, 0.0)
        cost = np.zeros(self.n)
        cost[: self.L] = -(self.D.T @ weight) + _HOUR_COST * self.hours
        cost[self.L + 1 :] = _SHARE_COST
        kp = (keep & (level > 0))[self.dests]
        bound = np.where(kp, -(level[self.dests] * orders[self.dests]) * (1 - 1e-9), np.inf)
        sol = self._set(cost, 0.0, np.full(len(self.dests), np.inf), bound)
        return None if sol is None else sol[: self.L]


class QuietHighs(highspy.Highs):
    """A HiGHS instance that never writes to the console (not even its banner): a command's output,
    JSON included, must stay clean."""

    def enableCallbacks(self):  # called by Highs.__init__ before anything is logged
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


_solver: QuietHighs | None = None


def share_held(amount: float, asked: np.ndarray, orders: np.ndarray, policy: str, rank: np.ndarray) -> np.ndarray:
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
