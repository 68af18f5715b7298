"""Outputs of a sweep: sweep.csv (variant × town), sweep_summary.csv, failures.csv, report, map."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from siege.analyses.sweep import SweepResult
from siege.io import write_folder
from siege.outputs.tables import with_admin, write_csv
from siege.outputs.text import md as _md


def _value(x: Any) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else x


def probabilities(result: SweepResult) -> tuple[dict[str, dict[str, Any]], str]:
    """Per town the probability the map colours by (running out if stocks are simulated, else isolation)."""
    by_run_out = result.summary["p_run_out"].notna().any() if "p_run_out" in result.summary else False
    out = {}
    for _, r in result.summary.iterrows():
        p = r["p_run_out"] if by_run_out else r["p_isolated"]
        out[r["town"]] = {
            "p": float(p),
            "p_isolated": _value(r.get("p_isolated")),
            "p_run_out": _value(r.get("p_run_out")),
            "median": _value(r.get("days_to_stockout_median")),
            "p5": _value(r.get("days_to_stockout_p5")),
            "p95": _value(r.get("days_to_stockout_p95")),
            "variants": int(r["variants"]),
        }
    return out, ("probability of running out" if by_run_out else "probability of isolation")


def sweep_markdown(result: SweepResult) -> str:
    c = result.config
    n_variants = result.table["variant"].nunique() if not result.table.empty else 0
    lines = [
        f"# Sweep: {_md(result.base.name)}",
        "",
        f"- Scenario file: `{c.scenario}`",
        f"- Variants: {n_variants} run, {len(result.failures)} failed; seed {c.seed}; runs {c.runs}"
        + (f"; grid {c.grid} values per axis" if c.grid else ""),
        "- Axes: " + (", ".join(f"`{a.name}`" for a in c.vary) or "none (only the scenario's own uncertainty)"),
        "",
        "Days to stock-out are counted from the start of the simulated period, over the variants in which "
        "the town runs out.",
        "",
        "| town | variants | P(isolated) | P(runs out) | days to stock-out: 5 % | median | 95 % |",
        "|---|---|---|---|---|---|---|",
    ]

    def f(x, pct=False):
        x = _value(x)
        return "–" if x is None else (f"{x:.0%}" if pct else f"{x:g}")

    for _, r in result.summary.iterrows():
        lines.append(
            f"| {_md(r['town'])} | {r['variants']} | {f(r['p_isolated'], True)} | {f(r.get('p_run_out'), True)} | "
            f"{f(r.get('days_to_stockout_p5'))} | {f(r.get('days_to_stockout_median'))} | "
            f"{f(r.get('days_to_stockout_p95'))} |"
        )
    if len(result.failures):
        lines += [
            "",
            "## Failed variants",
            "",
            "Their parameters and errors are in failures.csv; the other variants' results are complete.",
            "",
        ]
        for _, r in result.failures.head(20).iterrows():
            lines.append(f"- variant {r['variant']}: {_md(r['error'])[:300]}")
    return "\n".join(lines) + "\n"


def write_sweep(result: SweepResult, out: str | Path, *, hxl: bool = False) -> Path:
    """Write the sweep's files into ``out``, staged and renamed into place (sweep_summary.csv with each
    town's cercle and P-codes; ``hxl`` adds the HXL hashtag row to every CSV)."""
    from siege.analyses.isolation import run
    from siege.outputs.map import write_map

    def write(stage: Path) -> None:
        write_csv(result.table, stage / "sweep.csv", hxl=hxl)
        write_csv(with_admin(result.summary, result.base), stage / "sweep_summary.csv", hxl=hxl)
        write_csv(result.failures, stage / "failures.csv", hxl=hxl)
        (stage / "report.md").write_text(sweep_markdown(result), encoding="utf-8")
        report = {
            "scenario": result.base.name,
            "file": str(result.config.scenario),
            "seed": result.config.seed,
            "runs": result.config.runs,
            "axes": [a.name for a in result.config.vary],
            "grid": result.config.grid,
            "failed": len(result.failures),
            "summary": [{k: _value(v) for k, v in r.items()} for r in result.summary.to_dict("records")],
        }
        (stage / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")
        probs, label = probabilities(result)
        write_map(run(result.base), stage / "map.html", probabilities=probs, probability_label=label)

    return write_folder(out, write)
