"""Results by cercle (admin 2): what OCHA, WFP and the Logistics Cluster key their tables by.

One row per admin-2 unit of the scenario's admin polygons (bundled: Mali's 50 cercle polygons with
OCHA P-codes): its towns on the network, their population, the worst status any of them reaches,
the first day any of them runs short, the days on which at least one is short, short person-days
(each town-day short counts the town's population), and an **access severity 0–5**:

=====  ==================================================================================
 5      a town of the cercle is isolated (nothing arrives) for 30 days or more
 4      a town is isolated at some time, or short of a tracked commodity for 30 days or more
 3      a town is short for 8 to 29 days
 2      a town is short for 1 to 7 days, or besieged (served under half, or convoys unlikely
        to get through) without running short
 1      a town is degraded (longer routes, lower survival or partial supply), never short
 0      every town open and never short
=====  ==================================================================================

A run without a period (one steady day) has no durations: open 0, degraded 1, besieged 3, isolated 4.
The scale has the 0–5 range of ACAPS' humanitarian access scale but measures supply on the road network,
not access constraints; the rule is siege's own. A cercle with no town on the network is not assessed
(severity empty), never reported as open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from siege.network.admin import ADMIN_COLUMNS, AdminUnit
from siege.solver.status import STATUSES

#: the columns of admin2.csv, in order
COLUMNS = (
    *ADMIN_COLUMNS,
    "towns",
    "town_names",
    "population_on_network",
    "worst_status",
    "first_day_short",
    "days_short",
    "short_person_days",
    "access_severity",
)

#: severity of a steady-day status (no period: no durations to go by)
_STEADY = {"open": 0, "degraded": 1, "besieged": 3, "isolated": 4}


def access_severity(*, worst_status: str, days_short: int | None, days_isolated: int | None) -> int:
    """The 0–5 rule of this module's table, for one town (``days_*`` ``None``: a steady day)."""
    if days_short is None or days_isolated is None:
        return _STEADY[worst_status]
    if days_isolated >= 30:
        return 5
    if days_isolated > 0 or days_short >= 30:
        return 4
    if days_short >= 8:
        return 3
    if days_short >= 1 or worst_status in ("besieged", "isolated"):
        return 2
    return 1 if worst_status == "degraded" else 0


@dataclass
class Admin2Result:
    """The cercle table and what it was built from."""

    frame: pd.DataFrame  # COLUMNS
    source: str  # the admin polygons
    attribution: str
    versions: list[str]  # COD versions of the codes
    polygons: list = field(default_factory=list, repr=False)  # (unit, polygon) for the map


def admin2_summary(result, timeline=None) -> Admin2Result:
    """One row per admin-2 unit, from a run's towns (``result``, a :class:`RunResult`) and, when the
    scenario has a period, its timeline (first day short, days short, severity by duration)."""
    s = result.scenario
    areas = s.admin
    status = {t.town: t.status for t in result.towns}
    towns_t = timeline.towns.set_index("town") if timeline is not None else None
    # per town: the worst status (over the period when there is one), days short and isolated (None on
    # a steady day: no durations), first day short, population
    per_town: dict[str, dict] = {}
    for t in s.on_network:
        row = {"worst": status.get(t.name, "open"), "days_short": None, "days_isolated": None, "first": None}
        if towns_t is not None and t.name in towns_t.index:
            r = towns_t.loc[t.name]
            row.update(worst=str(r["worst_status"]), first=r["first_day_short"], days_short=int(r["days_short"]),
                       days_isolated=int(r["days_isolated"]))  # fmt: skip
        per_town[t.name] = {**row, "population": t.population or 0}
    short_days = _short_dates(timeline.frame) if timeline is not None else {}
    units: dict[tuple, AdminUnit] = {}
    members: dict[tuple, list[str]] = {}
    for u in areas.units if areas is not None else []:
        units.setdefault(_key(u), u)
        members.setdefault(_key(u), [])
    for t in s.on_network:
        if t.admin is not None:
            units.setdefault(_key(t.admin), t.admin)
            members.setdefault(_key(t.admin), []).append(t.name)
    rows = []
    for key, unit in units.items():
        towns = [per_town[n] for n in members[key]]
        row = {**unit.columns(), "towns": len(towns), "town_names": "; ".join(members[key])}
        row["population_on_network"] = sum(t["population"] for t in towns)
        if not towns:  # not assessed, never reported as open
            rows.append({**row, "worst_status": "", "first_day_short": None, "days_short": None,
                         "short_person_days": None, "access_severity": None})  # fmt: skip
            continue
        firsts = [t["first"] for t in towns if t["first"] is not None]
        row.update(
            worst_status=max((t["worst"] for t in towns), key=STATUSES.index),
            first_day_short=min(firsts) if firsts else None,
            access_severity=max(
                access_severity(worst_status=t["worst"], days_short=t["days_short"], days_isolated=t["days_isolated"])
                for t in towns
            ),
        )
        if timeline is not None:
            row["days_short"] = len(set().union(*(short_days.get(n, set()) for n in members[key])))
            row["short_person_days"] = sum(len(short_days.get(n, ())) * per_town[n]["population"] for n in members[key])
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(["adm1_pcode", "adm2_pcode", "adm2_name"])
    for col in ("days_short", "short_person_days", "access_severity"):
        out[col] = out[col].astype("Int64")
    return Admin2Result(
        frame=out.reset_index(drop=True),
        source=areas.source if areas is not None else "",
        attribution=areas.attribution if areas is not None else "",
        versions=areas.versions if areas is not None else [],
        polygons=areas.polygons() if areas is not None else [],
    )


def _key(u: AdminUnit) -> tuple:
    return (u.adm1_pcode, u.adm2_pcode, u.adm2_name)


def _short_dates(frame: pd.DataFrame) -> dict[str, set]:
    """Per town, the dates on which it is short of any commodity."""
    short = frame[frame["short"]]
    return {town: set(g["date"]) for town, g in short.groupby("town")}
