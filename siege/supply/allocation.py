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
- a blockaded town receives at most the share its blockade lets in.

Who gets scarce supply is a policy (:data:`POLICIES`): ``max-min`` (progressive filling: the
worst-served town as well served as possible, then the next …; the default), ``proportional`` (one
served fraction for every town as far as roads allow, then the trucks left go wherever roads let
them) or ``priority`` (ranked towns first, each rank by max-min, then the others). Among equal
answers, the one closest to the documented corridor shares (``targets``: trucks a day each gateway
normally sends of a commodity) is taken, and only then the shortest lanes: the normal day follows the
published corridor pattern, not an accident of route length, and degrades from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import coo_array, csr_array, vstack

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


@dataclass(frozen=True)
class SupplyProblem:
    """Everything but the day's orders: lanes, capacities, caps. Built once per state of the roads."""

    lanes: Sequence[Lane]
    edge_capacity: np.ndarray  # trucks/day per edge, shared by all commodities
    origin_capacity: np.ndarray  # trucks/day per origin (inf: unlimited)
    zone_capacity: np.ndarray  # trucks/day per capped zone
    escort_capacity: np.ndarray  # trucks/day per escort
    n_dest: int


def solve_supply(
    problem: SupplyProblem,
    orders: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    normal: np.ndarray | None = None,
    policy: str = "max-min",
    priority: np.ndarray | None = None,
    targets: Sequence[tuple[np.ndarray, float]] | None = None,
) -> np.ndarray:
    """Trucks/day on every lane for the day's ``orders`` (per destination pair), under ``policy``.

    ``allowed`` caps what each destination may receive (blockades; default: its order); ``normal`` is
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
    lane_dest = np.fromiter((ln.dest for ln in lanes), dtype=np.int64, count=L)
    willing = np.fromiter((ln.willing for ln in lanes), dtype=float, count=L)
    hours = np.fromiter((ln.hours for ln in lanes), dtype=float, count=L)
    normal = orders if normal is None else np.asarray(normal, dtype=float)
    rows, rhs = _constraints(problem, lanes, lane_dest, willing, normal, allowed)
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
    for group in groups:
        active = group & ~fixed
        rounds = 0
        while active.any():
            rounds += 1
            lam, x_level = _max_level(rows, rhs, D, orders, level, fixed, active, hours, L)
            if lam is None:
                break
            # which destinations can still go higher, with everyone else at least at their level?
            level[active] = lam
            x_fill = _fill(
                rows,
                rhs,
                D,
                orders,
                level,
                active | fixed,
                active,
                hours,
                L,
                trucks=policy == "proportional",
                targets=targets,
            )
            x = x_fill if x_fill is not None else x_level
            served = _served(D, x, orders)
            higher = active & (served > lam + 1e-6)
            if policy == "proportional" or rounds >= 6 or not higher.any():
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
    used = Used(
        np.zeros(len(problem.edge_capacity)),
        np.zeros(len(problem.origin_capacity)),
        np.zeros(len(problem.zone_capacity)),
        np.zeros(len(problem.escort_capacity)),
    )
    for ln, flow in zip(problem.lanes, x, strict=True):
        if flow <= 0:
            continue
        used.edge[np.unique(ln.edges)] += flow
        used.origin[ln.origin] += flow
        for z in set(ln.zones):
            used.zone[z] += flow
        if ln.escort >= 0:
            used.escort[ln.escort] += flow
    return used


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


def _constraints(problem, lanes, lane_dest, willing, normal, allowed):
    """Rows ``A x <= b`` common to every programme of the day."""
    L = len(lanes)
    blocks, rhs = [], []

    def add(row_idx, col_idx, vals, n_rows, b):
        blocks.append(coo_array((vals, (row_idx, col_idx)), shape=(n_rows, L)).tocsr())
        rhs.append(b)

    # shared road capacity, on the edges lanes use
    e_idx = np.concatenate([ln.edges for ln in lanes])
    l_idx = np.repeat(np.arange(L), [len(ln.edges) for ln in lanes])
    used, inverse = np.unique(e_idx, return_inverse=True)
    pair = np.unique(np.stack([inverse, l_idx]), axis=1)  # a lane counts once per edge
    add(pair[0], pair[1], np.ones(pair.shape[1]), len(used), problem.edge_capacity[used])
    # origins
    origin = np.fromiter((ln.origin for ln in lanes), dtype=np.int64, count=L)
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
    zl = [(z, i) for i, ln in enumerate(lanes) for z in set(ln.zones)]
    if zl:
        z, i = np.array(zl).T
        add(z, i, np.ones(len(zl)), len(problem.zone_capacity), problem.zone_capacity)
    el = [(ln.escort, i) for i, ln in enumerate(lanes) if ln.escort >= 0]
    if el:
        z, i = np.array(el).T
        add(z, i, np.ones(len(el)), len(problem.escort_capacity), problem.escort_capacity)
    # willingness: under threat, truckers carry at most `willing` of what a destination orders through
    # its threatened lanes (Σ x / willing ≤ orders); threat-free lanes are not in this row
    threatened = np.flatnonzero(willing < 1.0 - 1e-12)
    if len(threatened):
        add(lane_dest[threatened], threatened, 1.0 / willing[threatened], len(normal), normal)
    # blockades and orders: at most what may enter
    add(lane_dest, np.arange(L), np.ones(L), len(allowed), allowed)
    return vstack(blocks).tocsr(), np.concatenate(rhs)


def _max_level(rows, rhs, D, orders, level, fixed, active, hours, L):
    """Largest common served fraction λ of the ``active`` destinations, the ``fixed`` ones kept at
    their level. Variables: lane flows and λ."""
    n = L + 1
    c = np.concatenate([_HOUR_COST * hours, [-1.0]])
    A = [csr_array((rows.data, rows.indices, rows.indptr), shape=(rows.shape[0], n))]
    b = [rhs]
    act = np.flatnonzero(active)
    # λ·order − delivered ≤ 0
    Da = D[act]
    A.append(_with_last(-Da, orders[act], n))
    b.append(np.zeros(len(act)))
    fx = np.flatnonzero(fixed & (level > 0))
    if len(fx):
        A.append(_with_last(-D[fx], np.zeros(len(fx)), n))
        b.append(-(level[fx] * orders[fx]) + 1e-9)
    upper = np.full(n, np.inf)
    upper[-1] = 1.0
    x = _minimise(c, vstack(A).tocsr(), np.concatenate(b), upper)
    if x is None:
        return None, None
    return float(x[-1]), x[:-1]


def _fill(rows, rhs, D, orders, level, keep, active, hours, L, *, trucks: bool = False, targets=()):
    """Most total served fraction (or, with ``trucks``, most trucks) of the ``active`` destinations,
    every destination in ``keep`` at least at its level."""
    with np.errstate(divide="ignore"):
        per = 1.0 if trucks else 1.0 / np.where(orders > 0, orders, 1.0)
        weight = np.where(active & (orders > 0), per, 0.0)
    c = -(D.T @ weight) + _HOUR_COST * hours
    A, b = [rows], [rhs]
    kp = np.flatnonzero(keep & (level > 0))
    if len(kp):
        A.append(-D[kp])
        b.append(-(level[kp] * orders[kp]) * (1 - 1e-9))
    return _minimise(c, vstack(A).tocsr(), np.concatenate(b), np.full(L, np.inf), targets=targets)


class _QuietHighs(highspy.Highs):
    """A HiGHS instance that never writes to the console (not even its banner): a command's output,
    JSON included, must stay clean."""

    def enableCallbacks(self):  # called by Highs.__init__ before anything is logged
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


_solver: _QuietHighs | None = None


def _with_targets(c: np.ndarray, A: csr_array, b: np.ndarray, upper: np.ndarray, targets):
    """Add, for each corridor target, two deviation columns (above, below) and the rows
    ``Σ x − above ≤ t`` and ``−Σ x − below ≤ −t``, each deviation costing ``_SHARE_COST`` a truck."""
    G = len(targets)
    n, m = len(c), A.shape[0]
    rows, cols, vals = [], [], []
    rhs = np.zeros(2 * G)
    for k, (ix, t) in enumerate(targets):
        rows += [2 * k] * len(ix) + [2 * k + 1] * len(ix) + [2 * k, 2 * k + 1]
        cols += [*ix.tolist(), *ix.tolist(), n + 2 * k, n + 2 * k + 1]
        vals += [1.0] * len(ix) + [-1.0] * len(ix) + [-1.0, -1.0]
        rhs[2 * k], rhs[2 * k + 1] = t, -t
    T = csr_array((vals, (rows, cols)), shape=(2 * G, n + 2 * G))
    A = vstack([csr_array((A.data, A.indices, A.indptr), shape=(m, n + 2 * G)), T]).tocsr()
    return (
        np.concatenate([c, np.full(2 * G, _SHARE_COST)]),
        A,
        np.concatenate([b, rhs]),
        np.concatenate([upper, np.full(2 * G, np.inf)]),
    )


def _minimise(c: np.ndarray, A: csr_array, b: np.ndarray, upper: np.ndarray, *, targets=()) -> np.ndarray | None:
    """``min c·x`` subject to ``A x <= b`` and ``0 <= x <= upper``, by HiGHS; ``None`` if no optimum.

    Called directly (not through ``scipy.optimize.linprog``, whose argument checking cost more than
    solving these small programmes), with one solver per process. Corridor targets, if any, add their
    deviation columns (dropped from the answer)."""
    global _solver
    n_answer = len(c)
    if len(targets):  # only the filling programme, whose answer is kept, follows them
        c, A, b, upper = _with_targets(c, A, b, upper, targets)
    if _solver is None:
        _solver = _QuietHighs()
        _solver.setOptionValue("output_flag", False)
    n, m = len(c), A.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.ascontiguousarray(c, dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, highspy.kHighsInf)
    lp.row_lower_ = np.full(m, -highspy.kHighsInf)
    lp.row_upper_ = np.ascontiguousarray(b, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    _solver.passModel(lp)
    _solver.run()
    if _solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.array(_solver.getSolution().col_value)[:n_answer]


def _with_last(M: csr_array, last: np.ndarray, n: int) -> csr_array:
    """``[M | last]`` as one sparse matrix with ``n`` columns."""
    M = M.tocoo()
    rows = np.concatenate([M.row, np.arange(M.shape[0])])
    cols = np.concatenate([M.col, np.full(M.shape[0], n - 1)])
    vals = np.concatenate([M.data, last])
    return csr_array((vals, (rows, cols)), shape=(M.shape[0], n))


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
