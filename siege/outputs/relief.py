"""``siege plan-relief`` outputs: plan.toml (the scenario with the plan's events), plan.md (the plan in
a commander's words and what it changes), relief.json, and map.html (the planned run, its escorts drawn
as a layer). Written into a staging folder and put in place whole."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from siege.analyses.relief import NOTE, ReliefResult
from siege.io import write_folder
from siege.outputs.map import segment_line, write_map
from siege.outputs.text import md
from siege.scenario.model import scenario_toml_text


def relief_dict(result: ReliefResult) -> dict[str, Any]:
    """The plan, its means and its gain, JSON-ready."""
    c = result.config
    return {
        "scenario": result.scenario.name,
        "targets": result.targets,
        "means": {
            "escorts": c.escorts,
            "convoys": c.convoys,
            "fleet_trucks": c.fleet,
            "against_attack_budget": c.against_budget,
            "keep_above": c.keep_above,
        },
        "measure": result.measure,
        "method": result.method,
        "model": (
            None
            if result.model is None
            else {
                "status": result.model.status,
                "gap": result.model.gap,
                "damage_in_model": result.model.model_score,
                "damage_without_plan_in_model": result.model.model_before,
            }
        ),
        "plan": [{"kind": m.kind, "for": m.town, "words": m.words, "event": m.table()} for m in result.chosen],
        "candidates": [m.words for m in result.candidates],
        "before": {"damage": result.before.score, "days": result.before.days, "attacker_reply": result.before.attack},
        "after": {"damage": result.after.score, "days": result.after.days, "attacker_reply": result.after.attack},
    }


def plan_toml(result: ReliefResult, source: Path) -> str:
    """The planned scenario as TOML: the loaded one with the plan's events, its file paths made
    absolute (plan.toml lives in another folder), each planned event noted as planned."""
    header = [
        f"# The relief plan of siege plan-relief for {source.name}: the scenario with the plan's events added",
        f'# (noted "{NOTE}"). Run it with: siege run plan.toml --out DIR',
    ]
    return "\n".join(header) + "\n\n" + scenario_toml_text(result.raw, source.parent)


def plan_markdown(result: ReliefResult) -> str:
    """The plan as a commander reads it, and what it changes for each target."""
    c = result.config
    lines = [
        f"# Relief plan: {md(result.scenario.name)}",
        "",
        f"Means: at most {c.escorts} escort window(s) and {c.convoys} convoy(s) of {c.fleet:g} trucks in all"
        + (f", against an attacker closing {c.against_budget} segment(s)" if c.against_budget else "")
        + ".",
        f"Aim: fewest {md(result.measure)} for {md(', '.join(result.targets))}.",
        "",
        "## The plan",
        "",
    ]
    if result.chosen:
        lines += [f"{i}. {md(m.words[0].upper() + m.words[1:])}." for i, m in enumerate(result.chosen, 1)]
    else:
        lines.append("Nothing within these means lowers the shortfall: no escort window or convoy is proposed.")
    lines += [
        "",
        "## What it changes (the supply model over the period, as `siege run plan.toml` shows)",
        "",
        "| town | days short without the plan | with the plan | person-days without | with |",
        "|---|---|---|---|---|",
    ]
    for n in result.targets:
        people = result.population.get(n, 0.0)
        b, a = result.before.days[n], result.after.days[n]
        lines.append(f"| {md(n)} | {b} | {a} | {b * people:,.0f} | {a * people:,.0f} |")
    lines.append(f"| **all targets** | | | **{result.before.score:,.0f}** | **{result.after.score:,.0f}** |")
    if c.against_budget:
        lines += [
            "",
            "Against the attacker's best reply: without the plan it closes "
            f"{md('; '.join(result.before.attack)) or 'nothing'}; with it, "
            f"{md('; '.join(result.after.attack)) or 'nothing'}.",
        ]
    lines += [
        "",
        "## How it was chosen",
        "",
        f"{md(result.method[0].upper() + result.method[1:])}. Candidates, from the scenario's own shortfalls (for "
        "each target short, worst first: escort windows on each of the busiest lanes its worst-short commodity "
        "takes, over the stretch inside the defender's country, from 3 days before its first short day to its "
        "last and, when the shortfall comes in stretches, one per stretch, for the town's normal day of trucks; "
        "and escorted convoys from where it draws that commodity, of the fleet shared between the convoys, "
        "leaving 2 days before each stretch and then as often as a load lasts or all the convoys fit):",
        "",
        *[f"- {md(w)}" for w in (m.words for m in result.candidates)],
        "",
        "Every figure above is a run of the whole period on the supply model (threats and truckers' refusal, "
        "escorts at their capacity with the risk × the escort factor, convoys' losses on their route, stocks, "
        "supply chains), the run `siege run plan.toml` repeats. "
        + (
            "The mixed-integer programme that chose the plan is a linear model of the targets' stocks over the "
            "period (each means' deliveries measured by running it alone, then added; a town consumes what it "
            "can and orders less as its stock is higher); it is exact for that model, and where two means "
            "interact (two escorts sharing a corridor's trucks) the run can differ from it, as said above. "
            if result.model is not None
            else ""
        )
        + "Planning assumptions, not sourced facts: the escort capacity (a town's normal day), the convoys' "
        "departures (2 days before a shortfall, then as a load lasts) and size.",
    ]
    return "\n".join(lines) + "\n"


def write_relief(result: ReliefResult, source: str | Path, out: str | Path) -> Path:
    """plan.toml, plan.md, relief.json and map.html, written whole into ``out``. plan.toml is parsed
    again before anything is written, so a plan ``siege run`` would refuse never lands."""
    from siege.analyses.isolation import run
    from siege.scenario import scenario_from_dict

    source = Path(source)
    text = plan_toml(result, source)
    scenario_from_dict(tomllib.loads(text), where="plan.toml", base=Path(out).resolve(), network=result.scenario.G)

    def write(stage: Path) -> None:
        (stage / "plan.toml").write_text(text, encoding="utf-8")
        (stage / "plan.md").write_text(plan_markdown(result), encoding="utf-8")
        plan_json = json.dumps(relief_dict(result), indent=2, ensure_ascii=False, default=str)  # dates as text
        (stage / "relief.json").write_text(plan_json, encoding="utf-8")
        G = result.planned.G
        escorts = [e for e in result.planned.events if e.kind == "escort" and e.note == NOTE]
        layer = {
            "name": "Relief plan: escorts",
            "color": "#006d2c",
            "css": "siege-relief",
            "show": True,
            "segments": [
                {"coords": segment_line(G, key), "title": e.label, "lines": [["planned", e.describe()]]}
                for e in escorts
                for key in sorted(e.edges)
            ],
        }
        extra = [layer] if escorts else []
        write_map(run(result.planned), stage / "map.html", extra_layers=extra, focus=result.targets[0])

    return write_folder(out, write)
