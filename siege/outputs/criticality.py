"""Outputs of criticality and interdiction: tables, GeoJSON, reports, and map layers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from siege.analyses.criticality import CriticalityReport
from siege.analyses.interdiction import InterdictionReport
from siege.io import write_folder
from siege.outputs.map import segment_line, write_map
from siege.outputs.tables import write_csv
from siege.outputs.text import md as _md


def criticality_layer(report: CriticalityReport, *, top: int = 30) -> dict:
    """Map overlay: the most critical segments, wider the more they cost."""
    G = report.scenario.G
    segs = []
    rows = report.rows()[:top]
    worst = max((r["population_cut_off"] for r in rows), default=0) or 1
    for row, c in zip(rows, report.result.ranked()[:top], strict=True):
        segs.append(
            {
                "coords": segment_line(G, report.segment_keys[c.segment]),
                "title": f"#{row['rank']} {row['segment']}",
                "weight": 4 + 8 * row["population_cut_off"] / worst,
                "lines": [
                    ["towns isolated", row["towns_isolated"] or "none"],
                    ["population cut off", f"{row['population_cut_off']:,}"],
                    ["supply lost", f"{row['demand_lost_trucks_per_day']:g} trucks/day"],
                    ["added hours", f"{row['added_hours']:g}"],
                ],
            }
        )
    return {
        "name": f"Criticality (top {len(segs)})",
        "color": "#01665e",  # teal: apart from road states, statuses and routes
        "css": "siege-critical",
        "show": True,
        "segments": segs,
    }


def write_criticality(report: CriticalityReport, out: str | Path, *, hxl: bool = False) -> Path:
    """criticality.csv, criticality.geojson, worst_sets.csv, report.md, map.html (``hxl``: the HXL
    hashtag row in the CSVs)."""
    from siege.analyses.isolation import run

    def write(stage: Path) -> None:
        rows = report.rows()
        write_csv(pd.DataFrame(rows), stage / "criticality.csv", hxl=hxl)
        G = report.scenario.G
        geoms = [LineString(segment_line(G, report.segment_keys[c.segment])) for c in report.result.ranked()]
        gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_file(stage / "criticality.geojson", driver="GeoJSON")
        sets = [
            {
                "segments": "; ".join(report.labels[s] for s in ids),
                "population_cut_off": pop,
                "towns_isolated": "; ".join(report.towns[j] for j in towns),
            }
            for ids, pop, towns in report.result.worst_sets
        ]
        write_csv(
            pd.DataFrame(sets, columns=["segments", "population_cut_off", "towns_isolated"]),
            stage / "worst_sets.csv",
            hxl=hxl,
        )
        lines = [
            f"# Criticality: {_md(report.scenario.name)}",
            "",
            f"Every open segment closed alone, on the network as degraded on {report.scenario.date or 'all events'}.",
            "A town is isolated by a segment when its closure cuts it from every import point of one of its "
            "commodities (a food-only border post is no way in for fuel); a town cut from some commodities "
            "only names them, e.g. Nara (fuel).",
            "",
            "| rank | segment | towns isolated | population cut off | supply lost (trucks/day) | added hours |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['rank']} | {_md(r['segment'])} | {_md(r['towns_isolated']) or '–'} | {r['population_cut_off']:,} | "
            f"{r['demand_lost_trucks_per_day']:g} | {r['added_hours']:g} |"
            for r in rows[:40]
        ]
        measured = sorted((r for r in rows if r["supply_damage_added"] is not None),
                          key=lambda r: (-r["supply_damage_added"], r["rank"]))  # fmt: skip
        if measured:
            lines += [
                "",
                "## On the supply model `siege run` uses",
                "",
                f"Damage: {_md(report.supply_measure)}; {report.supply_baseline:,.0f} with no segment closed. "
                "Threats and truckers' refusal, escorts and stocks count here, which the ranking above ignores.",
                "",
                "| rank above | segment | damage added |",
                "|---|---|---|",
                *(f"| {r['rank']} | {_md(r['segment'])} | {r['supply_damage_added']:,.0f} |" for r in measured),
            ]
        if sets:
            lines += ["", f"## Worst sets of segments ({_md(report.result.worst_sets_method)})", ""]
            lines += [
                f"- {_md(s['segments'])}: {s['population_cut_off']:,} people cut off ({_md(s['towns_isolated'])})"
                for s in sets
            ]
        (stage / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        write_map(run(report.scenario, memo=report.memo), stage / "map.html", extra_layers=[criticality_layer(report)])

    return write_folder(out, write)


def _damage_dict(report: InterdictionReport, damage) -> dict:
    return {
        "damage": damage.score,
        "short_town_days": damage.short_town_days,
        "served": dict(zip(report.targets, damage.served, strict=True)),
        "status": dict(zip(report.targets, damage.status, strict=True)),
    }


def interdiction_dict(report: InterdictionReport) -> dict:
    cut = report.cut
    d = {
        "scenario": report.scenario.name,
        "targets": report.targets,
        "attacker_reach": report.reach,
        "damage_measure": report.measure,
        "cost": report.cost,
        "attacker_min_cut": {
            "segments": report.names(cut.segments),
            "cost": cut.cost if cut.cost != float("inf") else None,
            "within_reach": cut.cost != float("inf"),
            # the commodities it cuts them off from, when not every one (empty: all)
            "commodities": list(report.cut_commodities),
        },
        "without_attack": _damage_dict(report, report.baseline),
        "damage_curve": [
            {
                "budget": a.budget,
                "segments": report.names(a.segments),
                **_damage_dict(report, a.damage),
                "method": a.method,
            }
            for a in report.curve
        ],
    }
    if report.defence:
        f = report.defence
        d["defence"] = {
            "secure": report.names(f.secured),
            "advice": f.advice,
            "protect_together": report.names(f.together),
            "damage_unprotected": f.unprotected.damage.score,
            "damage_with_defence": f.attack.damage.score,
            "attacker_reply": report.names(f.attack.segments),
        }
    return d


def _cut_line(report: InterdictionReport, d: dict) -> str:
    cut = d["attacker_min_cut"]
    if not cut["within_reach"]:
        return f"no set of segments within the attacker's reach ({report.reach}) isolates them"
    only = f" (from their {', '.join(cut['commodities'])} imports)" if cut["commodities"] else ""
    return f"cost {cut['cost']:g}{only}: {'; '.join(cut['segments']) or 'already cut off'}"


def _served(x: dict) -> str:
    return ", ".join(f"{n} {v:.0%}" for n, v in x["served"].items())


def format_interdiction(report: InterdictionReport) -> str:
    """The interdiction answer as terminal tables with headers (``--format json`` gives the dict)."""
    d = interdiction_dict(report)
    lines = [
        f"{report.scenario.name} — interdiction of {', '.join(report.targets)}",
        f"attacker acts within: {report.reach}",
        f"damage: {report.measure}",
        f"cheapest cut that isolates them (flow model, cost of a closure: {report.cost}): {_cut_line(report, d)}",
        "",
        f"{'budget':>6}  {'damage':>12}  {'short':>5}  served on the evaluation day · segments closed",
        "-" * 78,
        f"{0:>6}  {d['without_attack']['damage']:>12,.0f}  {d['without_attack']['short_town_days']:>5}  "
        f"{_served(d['without_attack'])} · (the scenario's own events)",
    ]
    for a in d["damage_curve"]:
        lines.append(
            f"{a['budget']:>6}  {a['damage']:>12,.0f}  {a['short_town_days']:>5}  "
            f"{_served(a)} · {'; '.join(a['segments']) or '(no closure within reach adds damage)'}"
        )
    if "defence" in d:
        lines += ["", "protect first: " + d["defence"]["advice"]]
    return "\n".join(lines)


def write_interdiction(report: InterdictionReport, out: str | Path) -> Path:
    """interdiction.json, report.md and map.html (layers: attacker's cut, protect first)."""
    from siege.analyses.isolation import run

    def write(stage: Path) -> None:
        d = interdiction_dict(report)
        (stage / "interdiction.json").write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8")
        targets = ", ".join(report.targets) if len(report.targets) <= 6 else f"{len(report.targets)} towns"
        lines = [
            f"# Interdiction: {_md(report.scenario.name)}",
            "",
            f"Targets: {_md(targets)}. Segment cost: {report.cost}.",
            "",
            f"Attacker's reach: {_md(report.reach)}. Damage: {_md(report.measure)}. Every plan is measured on the "
            "supply model `siege run` uses (threats and truckers' refusal, escorts, commodities, stocks): run the "
            "scenario with the plan's segments closed and its tables give the same figures.",
            "",
            "## Attacker's minimum cut (flow model, exact)",
            "",
            _md(_cut_line(report, d)),
            "",
            "## Budget–damage curve (supply model)",
            "",
            "| segments closed | damage | town-days short | served on the evaluation day | segments | method |",
            "|---|---|---|---|---|---|",
            f"| 0 | {d['without_attack']['damage']:,.0f} | {d['without_attack']['short_town_days']} | "
            f"{_md(_served(d['without_attack']))} | – | the scenario's own events |",
        ]
        lines += [
            f"| {a['budget']} | {a['damage']:,.0f} | {a['short_town_days']} | {_md(_served(a))} | "
            f"{_md('; '.join(a['segments']))} | {a['method']} |"
            for a in d["damage_curve"]
        ]
        if report.defence:
            lines += ["", "## Protect first", "", _md(d["defence"]["advice"]) + "."]
        (stage / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        G = report.scenario.G

        def layer(name, ids, color, css, note):
            return {
                "name": name,
                "color": color,
                "css": css,
                "show": True,
                "segments": [
                    {
                        "coords": segment_line(G, report.segment_keys[s]),
                        "title": report.labels[s],
                        "lines": [["", note]],
                    }
                    for s in ids
                ],
            }

        layers = [
            layer(
                "Attacker's minimum cut",
                report.cut.segments,
                "#111111",
                "siege-cut",
                f"in the cheapest cut isolating {targets} (cost {report.cut.cost:g})",
            )
        ]
        if report.defence and (report.defence.secured or report.defence.together):
            ids = report.defence.secured or report.defence.together
            note = "secure this segment first" if report.defence.secured else "protect these together"
            layers.append(layer("Protect first", ids, "#b8860b", "siege-protect", note))
        write_map(
            run(report.scenario, memo=report.memo), stage / "map.html", extra_layers=layers, focus=report.targets[0]
        )

    return write_folder(out, write)
