"""Outputs of a run through time: timeline.csv (day × town × commodity), timeline_summary.csv
(town × commodity), stocks.png, and the report's "Through time" section."""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure  # files only: a figure without pyplot or a screen

from siege.outputs.tables import with_admin, write_csv
from siege.outputs.text import md
from siege.supply import TimelineResult, simulate
from siege.supply.allocation import POLICIES

#: line styles that keep coinciding lines apart (a town at the same stock as another stays visible)
_STYLES = ("-", "--", "-.", ":")


def most_affected(timeline: TimelineResult, n: int = 6) -> list[str]:
    """The capital and the towns short for longest."""
    s = timeline.towns.sort_values(["days_short", "town"], ascending=[False, True])
    capital = timeline.scenario.capital
    towns = [t for t in s["town"] if t != capital][: n - 1]
    return ([capital] if capital in set(s["town"]) else []) + towns


def plot_stocks(timeline: TimelineResult, path: Path, *, towns: list[str] | None = None) -> Path:
    """Stocks (days of demand) of every commodity over time for the most affected towns."""
    with _no_mathtext():
        return _plot_stocks(timeline, path, towns or most_affected(timeline))


def _plot_stocks(timeline: TimelineResult, path: Path, towns: list[str]) -> Path:
    commodities = [c.name for c in timeline.scenario.commodities]
    fig = Figure(figsize=(11, 3.2 * len(commodities)))
    axes = fig.subplots(len(commodities), 1, sharex=True, squeeze=False)
    for ax, commodity in zip(axes[:, 0], commodities, strict=True):
        series = {}
        for k, town in enumerate(towns):
            rows = timeline.town(town, commodity)
            series[town] = tuple(rows["stock_days"].fillna(-1).round(2))
            ax.plot(
                rows["date"],
                rows["stock_days"],
                label=town,
                lw=2.2 if town == timeline.scenario.capital else 1.4,
                ls=_STYLES[k % len(_STYLES)],
            )
        ax.axhline(0, color="#7f0000", lw=0.8)
        # lines drawn on top of each other hide towns: say in words which ones coincide
        notes = [f"{', '.join(same)}: the same line" for same in coinciding(series)]
        if notes:
            ax.text(
                0.01, 0.97, "\n".join(notes), transform=ax.transAxes, va="top", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999"},
            )  # fmt: skip
        ax.set_ylabel(f"{commodity} stock (days)")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper right", fontsize=8, ncol=2)
    axes[0, 0].set_title(f"{timeline.scenario.name}: stocks over time")
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    # margins in inches, fixed: the labels' sizes do not depend on the data (names are in the legend),
    # and measuring them (tight_layout) drew every text a second time
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.75 / 11, right=1 - 0.15 / 11, top=1 - 0.4 / height, bottom=0.85 / height, hspace=0.12)
    fig.savefig(path, dpi=110)
    return path


def coinciding(series: dict[str, tuple]) -> list[list[str]]:
    """Groups of towns whose stock lines are identical (each group of two or more, in input order)."""
    groups = []
    for values in dict.fromkeys(series.values()):
        same = [t for t, v in series.items() if v == values]
        if len(same) > 1:
            groups.append(same)
    return groups


def _no_mathtext() -> contextlib.AbstractContextManager:
    """Scenario and town names are data: ``$...$`` in them is shown, not parsed as mathtext."""
    return matplotlib.rc_context({"text.parse_math": False})


def write_timeline(timeline: TimelineResult, folder: Path, *, hxl: bool = False) -> None:
    """timeline.csv, timeline_summary.csv (with each town's cercle and P-codes) and stocks.png into
    ``folder``; ``hxl`` adds the hashtag rows."""
    write_csv(timeline.frame, folder / "timeline.csv", hxl=hxl)
    write_csv(with_admin(timeline.summary, timeline.scenario), folder / "timeline_summary.csv", hxl=hxl)
    plot_stocks(timeline, folder / "stocks.png")


def policy_sensitivity(timeline: TimelineResult, *, memo=None) -> dict[str, dict[str, object]]:
    """Per town, the first day short of anything under each allocation policy (the scenario's own
    run is reused; the others are run again, sharing ``memo``'s lanes: they depend on the roads, not
    on the policy). The priority policy serves the capital first unless the scenario names its own
    priority list."""
    from dataclasses import replace

    out: dict[str, dict[str, object]] = {}
    s = timeline.scenario
    for policy in POLICIES:
        if policy == timeline.policy:
            result = timeline
        else:
            scenario = s
            if policy == "priority" and not s.allocation.get("priority"):
                scenario = replace(s, allocation={**s.allocation, "priority": [s.capital] if s.capital else []})
            result = simulate(scenario, start=timeline.start, end=timeline.end, policy=policy, memo=memo)
        for _, r in result.towns.iterrows():
            out.setdefault(r["town"], {})[policy] = r["first_day_short"]
    return out


def timeline_markdown(timeline: TimelineResult, *, sensitivity: bool = True, memo=None) -> str:
    """The report section of a run through time; ``sensitivity`` adds the table of the answer under
    each allocation policy (two more runs of the period), else one line saying how to ask for it."""
    s = timeline.scenario
    stock_text = "; ".join(
        f"{c.name} ({c.unit}): national depot {c.stock_days['national_depot']:g}, regional depots "
        f"{c.stock_days['regional_depot']:g}, retail {c.stock_days['retail']:g} days"
        for c in s.commodities
    )
    lines = [
        "## Through time",
        "",
        f"Simulated day by day from {timeline.start} to {timeline.end}, commodity by commodity, along supply "
        "chains (import gateways and producing regions → depots → towns, or straight to a town's stations; "
        "who supplies whom per commodity: networks/mali/supply_chain.csv on the bundled network, "
        f"[[supply_chain]] in the scenario). Allocation policy: **{timeline.policy}**. "
        f"Stocks at the start, unless the scenario sets them: {stock_text}. See timeline.csv and stocks.png.",
        "",
        "| town | commodity | runs short | days short | back to normal | lowest stock (days) | worst status |",
        "|---|---|---|---|---|---|---|",
    ]
    summary = timeline.summary.sort_values(["days_short", "town"], ascending=[False, True])
    for _, r in summary.iterrows():
        if not r["days_short"] and r["worst_status"] == "open":
            continue
        lines.append(
            f"| {md(r['town'])} | {r['commodity']} | {r['stockout_date'] or '–'} | {r['days_short']} | "
            f"{r['recovered_date'] or ('–' if not r['days_short'] else 'not by the end')} | "
            f"{r['min_stock_days']:.1f} | {r['worst_status']} |"
        )
    untouched = sorted(set(timeline.towns["town"]) - set(summary[summary["days_short"] > 0]["town"]))
    lines += ["", f"Never short: {md(', '.join(untouched)) or 'none'}.", ""]
    if timeline.reasons:
        lines += ["### Why towns run short", ""]
        for town in sorted(timeline.reasons):
            via = _supplied(town, timeline.chain.get(town, {}))
            lines.append(f"- **{md(town)}**{via}: " + "; ".join(md(r) for r in timeline.reasons[town]) + ".")
        lines.append("")
    if sensitivity:
        table = policy_sensitivity(timeline, memo=memo)
        lines += [
            "### The answer under each allocation policy",
            "",
            "First day short of anything (– : never), under each way of sharing scarce supply "
            "(priority: the capital first unless the scenario names its own list).",
            "",
            "| town | " + " | ".join(POLICIES) + " |",
            "|---|" + "---|" * len(POLICIES),
        ]
        for town in sorted(table, key=lambda t: (all(v is None for v in table[t].values()), t)):
            values = table[town]
            if all(v is None for v in values.values()):
                continue
            lines.append(f"| {md(town)} | " + " | ".join(str(values.get(p) or "–") for p in POLICIES) + " |")
        lines.append("")
    else:
        others = ", ".join(p for p in POLICIES if p != timeline.policy)
        lines += [
            f"Other allocation policies ({others}) not compared in this run: `siege run --compare-policies` "
            "adds the first day short of each town under each policy (the period run twice more).",
            "",
        ]
    return "\n".join(lines) + "\n"


def _supplied(town: str, chain: dict[str, str]) -> str:
    """How a town is supplied, per commodity: ``(fuel: from the supply points; food: a depot)``."""
    from siege.supply.chain import SUPPLY_POINTS

    parts = [
        f"{c}: "
        + ("from the supply points" if d == SUPPLY_POINTS else "a depot" if d == town else f"through {md(d)}'s depot")
        for c, d in chain.items()
    ]
    return f" ({'; '.join(parts)})" if parts else ""
