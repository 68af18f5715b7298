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
            "",
            "| rank | segment | towns isolated | population cut off | supply lost (trucks/day) | added hours |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['rank']} | {_md(r['segment'])} | {_md(r['towns_isolated']) or '–'} | {r['population_cut_off']:,} | "
            f"{r['demand_lost_trucks_per_day']:g} | {r['added_hours']:g} |"
            for r in rows[:40]
        ]
        if sets:
            lines += ["", f"## Worst sets of segments ({_md(report.result.worst_sets_method)})", ""]
            lines += [
                f"- {_md(s['segments'])}: {s['population_cut_off']:,} people cut off ({_md(s['towns_isolated'])})"
                for s in sets
            ]
        (stage / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        write_map(run(report.scenario), stage / "map.html", extra_layers=[criticality_layer(report)])

    return write_folder(out, write)


def interdiction_dict(report: InterdictionReport) -> dict:
    d = {
        "scenario": report.scenario.name,
        "targets": report.targets,
        "cost": report.cost,
        "attacker_min_cut": {"segments": report.names(report.cut.segments), "cost": report.cut.cost},
        "damage_curve": [
            {
                "budget": a.budget,
                "segments": report.names(a.segments),
                "denied_trucks_per_day": a.denied,
                "still_delivered": a.delivered,
                "method": a.method,
            }
            for a in report.curve
        ],
    }
    if report.defence:
        d["defence"] = {
            "secure": report.names(report.defence.secured),
            "method": report.defence.method,
            "denied_unprotected": report.defence.unprotected.denied,
            "denied_with_defence": report.defence.attack.denied,
            "attacker_reply": report.names(report.defence.attack.segments),
        }
    return d


def format_interdiction(report: InterdictionReport) -> str:
    """The interdiction answer as terminal tables with headers (``--format json`` gives the dict)."""
    d = interdiction_dict(report)
    cut = d["attacker_min_cut"]
    lines = [
        f"{report.scenario.name} — interdiction of {', '.join(report.targets)} (cost of a closure: {report.cost})",
        f"cheapest cut that isolates them (cost {cut['cost']:g}): {'; '.join(cut['segments']) or '(none)'}",
        "",
        f"{'budget':>6}  {'denied/day':>10}  {'delivered/day':>13}  {'method':<7} segments closed",
        "-" * 78,
    ]
    for a in d["damage_curve"]:
        lines.append(
            f"{a['budget']:>6}  {a['denied_trucks_per_day']:>10g}  {a['still_delivered']:>13g}  {a['method']:<7} "
            f"{'; '.join(a['segments'])}"
        )
    lines.append("(denied and delivered in trucks/day of the supply model's demand, all commodities)")
    if "defence" in d:
        f = d["defence"]
        lines += [
            "",
            f"{'defender secures':<40} {'denied without':>14} {'denied with':>12}  attacker's best reply",
            "-" * 78,
            f"{'; '.join(f['secure']):<40} {f['denied_unprotected']:>14g} {f['denied_with_defence']:>12g}  "
            f"{'; '.join(f['attacker_reply'])}",
        ]
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
            "## Attacker's minimum cut (exact)",
            "",
            f"Cost {report.cut.cost:g}: " + (_md("; ".join(d["attacker_min_cut"]["segments"])) or "already cut off"),
            "",
            "## Budget–damage curve",
            "",
            "| segments closed | denied (trucks/day) | still delivered | segments | method |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {a['budget']} | {a['denied_trucks_per_day']:g} | {a['still_delivered']:g} | "
            f"{_md('; '.join(a['segments']))} | {a['method']} |"
            for a in d["damage_curve"]
        ]
        if report.defence:
            f = d["defence"]
            lines += [
                "",
                f"## Protect first ({f['method']})",
                "",
                f"Secure: {_md('; '.join(f['secure'])) or 'nothing helps'}. The attacker then denies "
                f"{f['denied_with_defence']:g} trucks/day instead of {f['denied_unprotected']:g} (unprotected).",
            ]
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
        if report.defence:
            layers.append(
                layer("Protect first", report.defence.secured, "#b8860b", "siege-protect", "secure this segment first")
            )
        write_map(run(report.scenario), stage / "map.html", extra_layers=layers)

    return write_folder(out, write)
