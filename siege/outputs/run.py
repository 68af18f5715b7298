"""Files of a ``siege run``: results (CSV, GeoJSON), routes and degradation (GeoJSON), report (MD, JSON).

All files are first written into a staging folder beside the output folder and then renamed into
place, so a failed run leaves no half-written output and a reader never sees a partial file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point

from siege.analyses.admin2 import Admin2Result, admin2_summary
from siege.analyses.isolation import RunResult
from siege.io import write_folder
from siege.network.attributes import is_estimated
from siege.network.geometry import path_coords
from siege.network.summary import edge_count
from siege.outputs.tables import write_csv
from siege.outputs.text import md as _md
from siege.scenario.context import EdgeKey
from siege.solver.status import STATUSES

OUTPUT_FILES = (
    "results.csv",
    "admin2.csv",
    "results.geojson",
    "routes.geojson",
    "degradation.geojson",
    "report.md",
    "report.json",
    "map.html",
)


def results_frame(result: RunResult) -> pd.DataFrame:
    """One row per town on the network."""
    return pd.DataFrame([t.row() for t in result.towns])


def _route_line(result: RunResult, keys: list[EdgeKey]) -> LineString | None:
    coords = path_coords(result.scenario.G, keys)
    return LineString(coords) if len(coords) >= 2 else None


#: siege's segment state → the Logistics Cluster / WFP road-status vocabulary
ROAD_STATUS = {"open": "Open", "degraded": "Restricted", "closed": "Closed"}


#: the columns of degradation.geojson / .gpkg
DEGRADATION_COLUMNS = (
    "u", "v", "key", "label", "ref", "highway", "mode", "surface", "length_km", "capacity", "state", "status",
    "closed", "capacity_factor", "delay_factor", "risk", "events", "flow_trucks_per_day", "geometry",
)  # fmt: skip


def _order(G):
    """A sort key giving edges the network's own order (that of ``G.edges``)."""
    nodes = {n: i for i, n in enumerate(G)}
    return lambda key: (nodes[key[0]], list(G[key[0]]).index(key[1]), key[2])


def degradation_frame(result: RunResult, *, every: bool = False) -> gpd.GeoDataFrame:
    """The segments an event or the season acts on (``every``: all of them, open ones too) with their
    state (open/degraded/closed), the same in the road-status layers' words (``status``:
    Open/Restricted/Closed), factors, causes and flow."""
    G = result.scenario.G
    deg = result.degradation
    rows = []
    # only the segments something acts on, in the network's order, unless every one is asked for
    # (a national extract is nearly all open road: no pass over it then)
    keys = G.edges(keys=True) if every else sorted(deg.effects, key=_order(G))
    for u, v, k in keys:
        key = (u, v, k)
        d = G.edges[key]
        e = deg.effects.get(key)
        state = deg.state(key)
        rows.append(
            {
                "u": u,
                "v": v,
                "key": k,
                "label": result.edge_label(key),
                "ref": ";".join(d.get("ref", [])),
                "highway": d.get("highway"),
                "mode": d.get("mode", "road"),
                "surface": d.get("surface"),
                "length_km": round(d["length"] / 1000, 2),
                "capacity": d["capacity"],
                "state": state,
                "status": ROAD_STATUS[state],
                "closed": bool(e.closed) if e else False,
                "capacity_factor": e.capacity_factor if e else 1.0,
                "delay_factor": e.delay_factor if e else 1.0,
                "risk": round(e.risk, 4) if e else 0.0,
                "events": "; ".join(deg.causes.get(key, ())),
                "flow_trucks_per_day": round(result.edge_flow.get(key, 0.0), 2),
                "geometry": d["geometry"],
            }
        )
    return gpd.GeoDataFrame(rows, columns=list(DEGRADATION_COLUMNS), geometry="geometry", crs="EPSG:4326")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_dict(result: RunResult) -> dict[str, Any]:
    """The JSON report: scenario, network, assumptions, events, results, changes."""
    s = result.scenario
    counts = {status: sum(t.status == status for t in result.towns) for status in STATUSES}
    return {
        "scenario": {
            "name": s.name,
            "description": s.description.strip(),
            "sources": s.sources,
            "file": str(s.path) if s.path else None,
            "date": str(result.day) if result.day else None,
            "period": [str(s.start) if s.start else None, str(s.end) if s.end else None],
            "results_are": result.basis,
        },
        "network": {
            "source": s.network_source,
            "schematic": s.schematic,
            "nodes": s.G.number_of_nodes(),
            "edges": edge_count(s.G),
        },
        "supply": [{"place": p.name, "capacity_trucks_per_day": p.capacity, "basis": p.basis} for p in s.supply],
        "assumptions": result.assumptions,
        "events": [
            {
                "index": e.index,
                "kind": e.kind,
                "label": e.label,
                "window": e.window(),
                "active": e.active_on(result.day),
                "effect": e.describe(),
                "segments": len(e.edges),
                "source": e.source,
                "note": e.note,
            }
            for e in s.events
        ],
        "status_counts": counts,
        "results": [{k: _clean(v) for k, v in t.row().items()} for t in result.towns],
        "changed_vs_baseline": [
            {"town": t.town, "baseline": t.baseline_status, "scenario": t.status} for t in result.changed
        ],
        "towns_not_on_network": [
            {"town": t.name, "kind": t.kind, "nearest_road_km": t.snap_km, "reason": t.off_reason}
            for t in s.off_network
        ],
    }


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "–" if x is None else format(x, fmt)


def report_markdown(result: RunResult) -> str:
    """The Markdown report a planner reads."""
    s = result.scenario
    lines = [f"# {_md(s.name)}", ""]
    if s.schematic:
        lines += ["> **Schematic network.** " + _md(result.assumptions[0]), ""]
    lines += [
        f"- Scenario file: {_md(s.path)}" if s.path else "- Scenario: (in memory)",
        f"- Evaluated on: {result.day or 'all events at once (no date)'}",
        f"- Served fractions and statuses: {_md(result.basis)}",
        f"- Network: {_md(s.network_source)} ({s.G.number_of_nodes()} nodes, {edge_count(s.G)} edges)",
        "",
    ]
    if s.description.strip():
        lines += [_md(s.description.strip()), ""]
    if s.sources:
        lines += ["## Sources", "", *[f"- {_md(src)}" for src in s.sources], ""]
    counts = report_dict(result)["status_counts"]
    lines += ["## Summary", "", ", ".join(f"**{n}** {status}" for status, n in counts.items()), ""]
    if result.changed:
        lines += ["Status changed against the baseline (no events):", ""]
        lines += [f"- {_md(t.town)}: {t.baseline_status} → **{t.status}**" for t in result.changed]
        lines.append("")
    lines += [
        "## Towns",
        "",
        "| town | cercle, region (P-code) | status | served | worst commodity: in (demand) per day "
        "| hours from imports (× baseline) "
        f"| route survival | cut off: imports / {_md(s.capital or 'capital')} | supplied from | chokepoints |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(result.towns, key=lambda t: (-STATUSES.index(t.status), t.served_fraction, t.town))
    G = s.G
    estimated_routes = 0
    for t in order:
        hours = f"{_num(t.hours_from_imports)} (×{_num(t.travel_time_ratio, '.2f')})"
        if any(is_estimated(G.edges[k]) for k in t.route_edges):
            hours += " †"
            estimated_routes += 1
        cut = f"{'yes' if t.cut_off_from_imports else 'no'} / {'yes' if t.cut_off_from_capital else 'no'}"
        lines.append(
            f"| {_md(t.town)} | {_md(_cercle(t.admin))} | {t.status} | {_pct(t.served_fraction)} | "
            f"{_md(t.commodity)}: {t.throughput:.1f} ({t.demand:.1f}) | "
            f"{hours} | {_pct(t.route_survival)} | {cut} | {_md(t.supplied_from or '–')} | "
            f"{_md('; '.join(t.chokepoints_at()) or '–')} |"
        )
    if estimated_routes:
        lines += [
            "",
            f"† {estimated_routes} route(s) include links whose length is estimated, not published "
            "(straight line × 1.2; dashed on the map): their hours are estimates too.",
        ]
    lines += ["", "## Events", ""]
    for e in s.events:
        active = "active" if e.active_on(result.day) else "not active on this date"
        lines.append(
            f"- #{e.index} **{_md(e.label)}** ({e.kind}; {e.window()}; {active}): {_md(e.describe())} "
            f"on {len(e.edges)} segment(s)."
        )
        if e.source:
            lines.append(f"  Source: {_md(e.source)}")
        if e.note:
            lines.append(f"  Note: {_md(e.note)}")
    if s.off_network:
        lines += [
            "",
            "## Towns not on the network",
            "",
            "They are not modelled, for the reason given:",
            "",
        ]
        lines += [f"- {_md(t.name)} ({t.kind.replace('_', ' ')}): {_md(t.off_reason)}" for t in s.off_network]
    lines += ["", "## Assumptions", "", *[f"- {_md(a)}" for a in result.assumptions], ""]
    return "\n".join(lines)


def _cercle(unit) -> str:
    if unit is None:
        return "–"
    if not unit.adm2_pcode:
        return f"{unit.adm1_name} region ({unit.adm1_pcode})"
    return f"{unit.adm2_name}, {unit.adm1_name} ({unit.adm2_pcode})"


def admin2_markdown(cercles: Admin2Result) -> str:
    """The report's "By cercle" section: the cercles whose towns lose supply, by access severity."""
    f = cercles.frame
    hit = f[f["access_severity"].fillna(0) > 0].sort_values(["access_severity", "adm2_pcode"], ascending=[False, True])
    assessed = int(f["access_severity"].notna().sum())
    lines = [
        "## By cercle",
        "",
        f"Every town placed in its cercle by point in polygon ({_md(cercles.source)}); P-codes: "
        f"{_md('; '.join(cercles.versions) or 'none')}. {_md(cercles.attribution)}",
        "",
        "Access severity 0–5 (siege's rule, in admin2.csv and the README): 5 a town isolated 30 days or more; "
        "4 isolated at some time or short 30 days or more; 3 short 8–29 days; 2 short 1–7 days or besieged; "
        "1 degraded; 0 open. A steady-day run has no durations: besieged 3, isolated 4.",
        "",
        f"{assessed} of {len(f)} cercles have a town on the network; {len(hit)} have a severity above 0 "
        "(the worst over the run, the season included):",
        "",
    ]
    if len(hit):
        lines += [
            "| cercle | P-code | region | towns | population | worst status | first day short | days short "
            "| severity |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in hit.iterrows():
            lines.append(
                f"| {_md(r['adm2_name'] or '–')} | {r['adm2_pcode'] or '–'} | {_md(r['adm1_name'])} | "
                f"{_md(r['town_names'])} | {int(r['population_on_network']):,} | {r['worst_status']} | "
                f"{r['first_day_short'] or '–'} | {'–' if pd.isna(r['days_short']) else int(r['days_short'])} | "
                f"{int(r['access_severity'])} |"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def format_console(result: RunResult, *, limit: int = 60) -> str:
    """A compact table for the terminal, worst towns first."""
    order = sorted(result.towns, key=lambda t: (-STATUSES.index(t.status), t.served_fraction, t.town))
    head = f"{'town':<20}{'status':<10}{'base':<10}{'served':>7}{'survival':>9}{'hours':>7}{'×base':>7}  chokepoints"
    lines = [
        f"{result.scenario.name} — {result.day or 'all events'} ({result.basis})",
        head,
        "-" * len(head),
    ]
    for t in order[:limit]:
        lines.append(
            f"{t.town[:19]:<20}{t.status:<10}{t.baseline_status:<10}{_pct(t.served_fraction):>7}"
            f"{_pct(t.route_survival):>9}{_num(t.hours_from_imports, '.0f'):>7}{_num(t.travel_time_ratio, '.2f'):>7}"
            f"  {'; '.join(t.chokepoints_at()[:2])}{' …' if len(t.chokepoints) > 2 else ''}"
        )
    if result.scenario.schematic:
        lines.append("(schematic network: see report.md)")
    return "\n".join(lines)


def write_run(
    result: RunResult,
    out: str | Path,
    *,
    steps: list[RunResult] | None = None,
    timeline=None,
    hxl: bool = False,
    gpkg: bool = False,
    compare_policies: bool = False,
    memo=None,
) -> Path:
    """Write all output files of a run into ``out`` (created if needed), the map included (with a
    time slider over ``timeline`` if given, else over ``steps``), and for a run through time
    timeline.csv, timeline_summary.csv and stocks.png; ``hxl`` adds the HXL hashtag row to every CSV;
    ``gpkg`` also writes degradation.gpkg (layer ``segments``, every segment; degradation.geojson holds
    those that are not open); ``compare_policies`` adds the report's table of the answer under each
    allocation policy (the period simulated under the two others); ``memo`` (the run's
    :class:`~siege.supply.SimulationMemo`) lets that table reuse the run's lanes. Staged: a failure writes nothing."""
    from siege.outputs.map import write_map

    cercles = admin2_summary(result, timeline)

    def write(stage: Path) -> None:
        results = results_frame(result)
        write_csv(results, stage / "results.csv", hxl=hxl)
        write_csv(cercles.frame, stage / "admin2.csv", hxl=hxl)
        points = gpd.GeoDataFrame(results, geometry=[Point(t.lon, t.lat) for t in result.towns], crs="EPSG:4326")
        points.to_file(stage / "results.geojson", driver="GeoJSON")
        routes = gpd.GeoDataFrame(
            [
                {
                    "town": t.town,
                    "supplied_from": t.supplied_from,
                    "route_survival": t.route_survival,
                    "geometry": _route_line(result, t.route_edges),
                }
                for t in result.towns
                if t.route_edges
            ],
            columns=["town", "supplied_from", "route_survival", "geometry"],  # kept when no town has a route
            geometry="geometry",
            crs="EPSG:4326",
        )
        routes.to_file(stage / "routes.geojson", driver="GeoJSON")
        every = degradation_frame(result, every=True) if gpkg else None
        acted_on = every[every["state"] != "open"] if every is not None else degradation_frame(result)
        acted_on.to_file(stage / "degradation.geojson", driver="GeoJSON")
        if every is not None:
            every.to_file(stage / "degradation.gpkg", driver="GPKG", layer="segments")
        md = report_markdown(result)
        if timeline is not None:
            from siege.outputs.timeline import timeline_markdown, write_timeline

            write_timeline(timeline, stage, hxl=hxl)
            md += "\n" + timeline_markdown(timeline, sensitivity=compare_policies, memo=memo)
        md += "\n" + admin2_markdown(cercles)
        (stage / "report.md").write_text(md, encoding="utf-8")
        (stage / "report.json").write_text(
            json.dumps(report_dict(result), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        write_map(result, stage / "map.html", steps=steps, timeline=timeline, cercles=cercles)

    return write_folder(out, write)
