"""Outputs of a run through time: timeline.csv (town × day), timeline_summary.csv, stocks.png."""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from siege import settings
from siege.analyses.timeline import COMMODITIES, TimelineResult
from siege.outputs.text import md


def most_affected(timeline: TimelineResult, n: int = 6) -> list[str]:
    """The capital and the towns short for longest (then with the lowest fuel stock)."""
    s = timeline.summary.sort_values(["days_short", "fuel_min_stock_days"], ascending=[False, True])
    towns = [t for t in s["town"] if t != settings.CAPITAL][: n - 1]
    return ([settings.CAPITAL] if settings.CAPITAL in set(s["town"]) else []) + towns


def plot_stocks(timeline: TimelineResult, path: Path, *, towns: list[str] | None = None) -> Path:
    """Fuel and food stocks (days of demand) over time for the most affected towns."""
    with _no_mathtext():
        return _plot_stocks(timeline, path, towns or most_affected(timeline))


def _plot_stocks(timeline: TimelineResult, path: Path, towns: list[str]) -> Path:
    fig, axes = plt.subplots(len(COMMODITIES), 1, figsize=(11, 3.2 * len(COMMODITIES)), sharex=True)
    for ax, commodity in zip(axes, COMMODITIES, strict=True):
        for town in towns:
            rows = timeline.town(town)
            ax.plot(
                rows["date"], rows[f"{commodity}_stock_days"], label=town, lw=2 if town == settings.CAPITAL else 1.3
            )
        ax.axhline(0, color="#7f0000", lw=0.8)
        ax.set_ylabel(f"{commodity} stock (days)")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8, ncol=2)
    axes[0].set_title(f"{timeline.scenario.name}: stocks over time")
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _no_mathtext() -> contextlib.AbstractContextManager:
    """Scenario and town names are data: ``$...$`` in them is shown, not parsed as mathtext."""
    return matplotlib.rc_context({"text.parse_math": False})


def write_timeline(timeline: TimelineResult, folder: Path) -> None:
    """timeline.csv, timeline_summary.csv and stocks.png into ``folder``."""
    timeline.frame.to_csv(folder / "timeline.csv", index=False)
    timeline.summary.to_csv(folder / "timeline_summary.csv", index=False)
    plot_stocks(timeline, folder / "stocks.png")


def timeline_markdown(timeline: TimelineResult) -> str:
    """The report section of a run through time."""
    lines = [
        "## Through time",
        "",
        f"Simulated day by day from {timeline.start} to {timeline.end}. Stocks at the start (days of demand): "
        + ", ".join(f"{c} {d:g}" for c, d in settings.STOCK_DAYS.items())
        + " unless the scenario sets them. See timeline.csv and stocks.png.",
        "",
        "| town | fuel runs out | food runs out | first day short | days short | days isolated | worst status |",
        "|---|---|---|---|---|---|---|",
    ]
    s = timeline.summary.sort_values(["days_short", "town"], ascending=[False, True])
    for _, r in s.iterrows():
        lines.append(
            f"| {md(r['town'])} | {r['fuel_stockout_date'] or '–'} | {r['food_stockout_date'] or '–'} | "
            f"{r['first_day_short'] or '–'} | {r['days_short']} | {r['days_isolated']} | {r['worst_status']} |"
        )
    return "\n".join(lines) + "\n"
