"""The relief planner's mixed-integer programme: a linear model of the targets' stocks over the period.

Which escort windows and convoys to choose is a knapsack over days: a means adds supply on some days,
stock carries it to later ones, and a day counts when a target runs short. That is written as one
MILP, solved by HiGHS (``scipy.optimize.milp``):

* per target, commodity and day: the stock it may draw at the start of the day ``S``, what comes into
  it ``u``, what it consumes ``q``: ``S[d+1] = S[d] + u[d] − q[d] + r[d]`` with ``r`` the reserve's
  movements of the run without a plan; the town consumes its whole need or draws its stock dry (a
  binary per day: it does not hold stock back on a short day to be served later), as the supply model
  does; and it orders less as its stock is higher (half the gap to its stock target below it, the
  surplus above it, as :mod:`siege.supply.simulate` orders), so a convoy's load stands in for the
  road's deliveries of the next days;
* per target and day a binary ``z``: the day counts (short, or served below ``keep_above``) unless
  every commodity consumed at least ``(1 − tolerance)`` of its need;
* per candidate a binary ``y``, at most ``escorts`` and ``convoys`` of them; what comes in is at most
  what came in without a plan plus, for every chosen means, what it added when run alone through the
  supply model (:func:`siege.supply.simulate`): ``u[d] ≤ U0[d] + Σ Δ_m[d] y_m``.

Objective: person-days (population × ``z``), and a thousandth of a person-day per means so that of
equal plans the smaller wins. With every ``y`` at 0 the programme reproduces the run without a plan.
It is exact for this model; the model is linear where the supply model is not (a means' effect is
measured alone and added, where two escorts on one corridor share its trucks), so its plan is run
through the period and the run's figures are the ones reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from siege import settings


@dataclass(frozen=True)
class MilpChoice:
    """The programme's plan (indices into the candidates), its score in the model, and how it ended."""

    chosen: tuple[int, ...]
    model_score: float  # person-days the linear model gives the plan
    model_before: float  # and no plan (the run's figure, reproduced)
    status: str  # "optimal", or what HiGHS reached within the time limit
    gap: float  # relative MIP gap at the end (0 when optimal)


def choose(
    baseline,
    singles: Sequence,
    kinds: Sequence[str],
    targets: Sequence[str],
    population: dict[str, float],
    *,
    escorts: int,
    convoys: int,
    keep_above: float | None = None,
    time_limit: float = settings.RELIEF_MILP_SECONDS,
) -> MilpChoice:
    """The best plan of the linear period model: ``baseline`` is the run without a plan, ``singles``
    the run with each candidate alone (``kinds[i]``: "escort" or "convoy")."""
    import highspy
    import scipy.sparse as sp

    from siege.supply.allocation import QuietHighs

    names = [t.name for t in baseline.scenario.on_network]
    rows_t = [names.index(n) for n in targets]
    L = baseline.ledger
    D, _, C = L.need.shape
    M = len(singles)
    share = 1.0 - settings.SHORT_TOLERANCE if keep_above is None else keep_above
    before = _before(L, rows_t, targets, population, share)
    # a means only adds supply, and in this model more stock never lowers what a town can consume:
    # a day the run without a plan does not count is not counted with one, a commodity never below
    # is never below, and a day the town was not drawn dry it is not. Binaries only where it was.
    low = L.consumed[:, rows_t, :] < share * L.need[:, rows_t, :] - 1e-9  # (day, target, commodity)
    pairs = [(k, i, c) for k, i in enumerate(rows_t) for c in range(C) if low[:, k, c].any()]
    if not pairs or not M:
        return MilpChoice((), before, before, "optimal", 0.0)
    counted = low.any(axis=2)  # (day, target)
    z_of = -np.ones((D, len(rows_t)), dtype=np.int64)
    z_of[counted] = M + np.arange(int(counted.sum()))
    n = M + int(counted.sum())
    # columns: the means' y, the counted days' z (day by day, target by target), then each pair's
    z_pop = np.array([population[targets[k]] for k in np.nonzero(counted)[1]])
    lb, ub, integ = [np.zeros(n)], [np.ones(n)], [np.ones(n)]
    cost = [np.full(M, 1e-3 * min(population.values())), z_pop]
    ri, ci, vals, lo, hi = [], [], [], [], []
    row = 0

    def add(cols, coefs, low_, high):
        nonlocal row
        ri.extend([row] * len(cols))
        ci.extend(cols)
        vals.extend(coefs)
        lo.append(low_)
        hi.append(high)
        row += 1

    def columns(count, low_, high, integer=False, price=0.0):
        nonlocal n
        first = n
        n += count
        lb.append(np.broadcast_to(np.asarray(low_, dtype=float), count).copy())
        ub.append(np.broadcast_to(np.asarray(high, dtype=float), count).copy())
        integ.append(np.full(count, 1.0 if integer else 0.0))
        cost.append(np.full(count, price))
        return first

    total = np.stack([np.clip(t.ledger.inflow - L.inflow, 0.0, None) for t in singles])  # (means, day, town, c)
    is_convoy = np.array([kind == "convoy" for kind in kinds])
    for k, i, c in pairs:
        avail, inflow, used, need = L.available[:, i, c], L.inflow[:, i, c], L.consumed[:, i, c], L.need[:, i, c]
        target = float(L.target[i, c])
        delta = total[:, :, i, c]
        # the baseline's reserve movements (a released reserve drawn, a full stock topping it up)
        moved = np.append(avail[1:] - (avail[:-1] + inflow[:-1] - used[:-1]), 0.0)
        # orders follow the stock (restocking half the gap below the target, a surplus above it
        # ordered less): what the run left unordered, plus what a higher stock takes off
        unfilled = np.maximum(L.orders[:, i, c] - L.arrived[:, i, c], 0.0)
        room = inflow + unfilled + np.maximum(settings.REFILL_SHARE_PER_DAY * (avail - target), avail - target)
        most = avail + np.concatenate([[0.0], np.cumsum(delta.sum(axis=0))[:-1]])  # no stock goes above it
        big = float(most.max() + np.abs(inflow).max() + delta.sum(axis=0).max()) + 1.0
        dry = used < need * (1.0 - 1e-9)
        S = columns(D + 1, np.r_[avail[0], np.zeros(D)], np.r_[avail[0], np.full(D, np.inf)])
        # a depot may forward more than reached it (from its stock)
        u = columns(D, np.minimum(inflow, 0.0), np.inf)
        q = columns(D, np.where(dry, 0.0, need * (1.0 - 1e-9)), need)
        for d in range(D):
            # a convoy's load comes on top of what the roads bring: it is not ordered
            pulse = [m for m in np.flatnonzero(delta[:, d] > 1e-9) if is_convoy[m]]
            load = list(-delta[pulse, d])
            add([S + d + 1, S + d, u + d, q + d, *pulse], [1.0, -1.0, -1.0, 1.0, *load], moved[d], moved[d])
            add([q + d, S + d, u + d, *pulse], [1.0, -1.0, -1.0, *load], -np.inf, 0.0)
            if dry[d]:  # the whole need is consumed, or the stock is drawn dry (v)
                v = columns(1, 0.0, 1.0, integer=True)
                add([q + d, v], [1.0, need[d]], need[d] * (1.0 - 1e-9), np.inf)
                add([S + d, u + d, q + d, v, *pulse], [1.0, 1.0, -1.0, big, *(-x for x in load)], -np.inf, big)
            # what the roads bring: at most what the town orders, and what they carried without a plan
            # plus what each chosen escort added; o: a day its stock is so high it orders nothing
            tight = [sl for sl in (settings.REFILL_SHARE_PER_DAY, 1.0) if sl * most[d] > room[d] + sl * target + 1e-9]
            o = columns(1, 0.0, 1.0, integer=True) if tight else None
            for sl in (settings.REFILL_SHARE_PER_DAY, 1.0):
                cols, coefs = ([u + d, S + d, o], [1.0, sl, -big]) if o is not None else ([u + d, S + d], [1.0, sl])
                add(cols, coefs, -np.inf, room[d] + sl * target)
            if o is not None:
                add([u + d, o], [1.0, big], -np.inf, big)
            helps = [m for m in np.flatnonzero(delta[:, d] > 1e-9) if not is_convoy[m]]
            add([u + d, *helps], [1.0, *(-delta[helps, d])], -np.inf, inflow[d])
            if counted[d, k] and need[d] > 1e-12:
                add([q + d, int(z_of[d, k])], [1.0, need[d]], share * need[d], np.inf)
    for kind, limit in (("escort", escorts), ("convoy", convoys)):
        picks = [m for m in range(M) if kinds[m] == kind]
        if picks:
            add(picks, [1.0] * len(picks), 0.0, float(limit))
    A = sp.csr_array((vals, (ri, ci)), shape=(row, n))
    h = QuietHighs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("random_seed", 0)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, row
    lp.col_cost_ = np.concatenate(cost)
    lp.col_lower_ = np.concatenate(lb)
    lp.col_upper_ = np.where(np.isfinite(up := np.concatenate(ub)), up, highspy.kHighsInf)
    lp.row_lower_ = np.where(np.isfinite(lo_ := np.array(lo)), lo_, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(hi_ := np.array(hi)), hi_, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    kind_of = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kind_of[int(flag)] for flag in np.concatenate(integ)]
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if info.primal_solution_status != 2:  # no feasible plan found in the time
        return MilpChoice((), float("nan"), before, f"no plan found ({h.modelStatusToString(status)})", float("nan"))
    x = np.array(h.getSolution().col_value)
    chosen = tuple(int(m) for m in np.flatnonzero(x[:M] > 0.5))
    score = float((np.round(x[z_of[counted]]) * z_pop).sum())
    word = "optimal" if status == highspy.HighsModelStatus.kOptimal else h.modelStatusToString(status).lower()
    gap = 0.0 if status == highspy.HighsModelStatus.kOptimal else float(info.mip_gap)
    return MilpChoice(chosen, round(score, 1), before, word, gap)


def _before(L, rows_t, targets, population, share) -> float:
    """The model's score without a plan: the days the run itself counts (its consumption below the
    share of need), which the programme reproduces with every means off."""
    low = L.consumed[:, rows_t, :] < share * L.need[:, rows_t, :] - 1e-9
    days = low.any(axis=2).sum(axis=0)
    return round(float(sum(population[n] * days[k] for k, n in enumerate(targets))), 1)
