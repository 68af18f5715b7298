"""Sweeps: many variants of one scenario, drawn reproducibly, run in parallel or on a Dask cluster.

A variant is a scenario with its uncertain parts drawn:

- an event with ``probability = p`` happens with that probability;
- an effect field given as a range ``[low, high]`` is drawn uniformly in it;
- an event with ``rate_per_week = r`` occurs on random days (each day of its window starts an
  occurrence with probability r/7, lasting ``lasts_days``);
- each ``--vary PATH=LOW..HIGH`` axis is drawn uniformly (dates by day), or, with a grid, takes evenly
  spaced values whose combinations are each run ``runs`` times.

Variant *i* draws from ``numpy.random.default_rng([seed, i])`` only, so a sweep gives the same numbers
whatever runs it and in whatever order (local processes, a Dask cluster, or one process).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
import os
import tomllib
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siege.errors import SiegeInputError
from siege.scenario import Scenario, load_scenario, scenario_from_dict
from siege.scenario.dates import parse_date


@dataclass(frozen=True)
class Axis:
    """One ``--vary`` axis: a path into the scenario file and its range or values."""

    path: tuple[str | int, ...]
    low: Any = None
    high: Any = None
    values: tuple[Any, ...] = ()

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)

    def grid(self, k: int) -> tuple[Any, ...]:
        """``k`` evenly spaced values (or the listed values)."""
        if self.values:
            return self.values
        if isinstance(self.low, dt.date):
            span = (self.high - self.low).days
            return tuple(dict.fromkeys(self.low + dt.timedelta(days=round(span * j / max(k - 1, 1))) for j in range(k)))
        return tuple(float(v) for v in np.linspace(self.low, self.high, k))

    def draw(self, rng: np.random.Generator) -> Any:
        if self.values:
            return self.values[int(rng.integers(len(self.values)))]
        if isinstance(self.low, dt.date):
            return self.low + dt.timedelta(days=int(rng.integers(0, (self.high - self.low).days + 1)))
        return float(rng.uniform(self.low, self.high))


def _scalar(text: str, where: str) -> Any:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if len(text) >= 7 and text[:4].isdigit():
        return parse_date(text, where)
    return text


def parse_axis(text: str) -> Axis:
    """``events.3.end=2025-10-01..2026-03-01``, ``events.0.effect.risk=0.2..0.6`` or ``PATH=a,b,c``."""
    where = f"--vary {text}"
    if "=" not in text:
        raise SiegeInputError(where, "expected PATH=LOW..HIGH or PATH=A,B,C (e.g. events.3.end=2025-10-01..2026-03-01)")
    path_text, spec = text.split("=", 1)
    path = tuple(int(p) if p.isdigit() else p for p in path_text.strip().split("."))
    if not path or any(p == "" for p in path):
        raise SiegeInputError(where, "expected a dotted path like events.3.end")
    if ".." in spec:
        low, high = (_scalar(s, where) for s in spec.split("..", 1))
        if type(low) is not type(high) or isinstance(low, str):
            raise SiegeInputError(where, "expected two numbers or two dates around '..'")
        if high < low:
            raise SiegeInputError(where, f"the range ends ({high}) before it starts ({low})")
        return Axis(path, low, high)
    values = tuple(_scalar(s, where) for s in spec.split(",") if s.strip())
    if not values:
        raise SiegeInputError(where, "expected at least one value")
    return Axis(path, values=values)


def _set(raw: dict, path: Sequence[str | int], value: Any, where: str) -> None:
    node: Any = raw
    for i, key in enumerate(path[:-1]):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise SiegeInputError(where, f"the scenario has no {'.'.join(map(str, path[: i + 1]))}") from None
    last = path[-1]
    if (isinstance(node, list) and isinstance(last, int) and last < len(node)) or isinstance(node, dict):
        node[last] = value
    else:
        raise SiegeInputError(where, f"the scenario has no {'.'.join(map(str, path))}")


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep: the scenario file, how many draws, the seed, the axes and the grid."""

    scenario: Path
    runs: int = 100
    seed: int = 0
    vary: tuple[Axis, ...] = ()
    grid: int | None = None  # with axes: evenly spaced values per axis, each combination run `runs` times
    #: the file's text, filled in by :func:`sweep` so that workers on other machines need only siege
    #: installed (and, for a network other than the bundled one, that file at the same path)
    text: str = ""

    def variants(self) -> list[dict[str, Any]]:
        """Variant index and fixed axis values (grid) of every variant."""
        if self.grid is None or not self.vary:
            return [{"variant": i, "fixed": {}} for i in range(self.runs)]
        combos = list(itertools.product(*(a.grid(self.grid) for a in self.vary)))
        out = []
        for c, combo in enumerate(combos):
            for r in range(self.runs):
                out.append(
                    {"variant": c * self.runs + r, "fixed": dict(zip([a.name for a in self.vary], combo, strict=True))}
                )
        return out


@dataclass
class SweepResult:
    """One row per variant and town, the failed variants, and a summary per town."""

    config: SweepConfig
    table: pd.DataFrame
    failures: pd.DataFrame
    summary: pd.DataFrame
    base: Scenario = field(repr=False)


# ---- one variant ------------------------------------------------------------------------------------


@cache
def _load(path: str, text: str) -> Scenario:
    """The base scenario, loaded once per process (worker), from the file's text if given."""
    if not text:
        return load_scenario(path)
    return scenario_from_dict(tomllib.loads(text), where=path, base=Path(path).parent)


def draw_events(scenario: Scenario, rng: np.random.Generator, start: dt.date, end: dt.date) -> list:
    """The scenario's events with their uncertain parts drawn (order of draws is fixed)."""
    events = []
    for e in scenario.events:
        happens = rng.random() < e.probability
        effect = e.effect
        for name, lo, hi in e.effect_ranges:
            effect = replace(effect, **{name: float(rng.uniform(lo, hi))})
        active_days = None
        if e.rate_per_week:
            first, last = max(e.start or start, start), min(e.end or end, end)
            n = max(0, (last - first).days + 1)
            starts = np.flatnonzero(rng.random(n) < e.rate_per_week / 7.0)
            active_days = frozenset(first + dt.timedelta(days=int(s + k)) for s in starts for k in range(e.lasts_days))
        if happens:
            events.append(replace(e, effect=effect, active_days=active_days))
    return events


def run_variant(config: SweepConfig, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one variant; never raises: a failure comes back with its parameters and the error."""
    from siege.analyses.isolation import run
    from siege.analyses.timeline import simulate

    i = spec["variant"]
    params: dict[str, Any] = {}
    try:
        base = _load(str(config.scenario), config.text)
        rng = np.random.default_rng([config.seed, i])
        params = dict(spec["fixed"])
        for axis in config.vary:
            if axis.name not in params:
                params[axis.name] = axis.draw(rng)
        scenario = base
        if params:
            raw = copy.deepcopy(base.raw)
            for axis in config.vary:
                value = params[axis.name]
                _set(raw, axis.path, value.isoformat() if isinstance(value, dt.date) else value, f"--vary {axis.name}")
            scenario = scenario_from_dict(raw, where=str(config.scenario), base=config.scenario.parent, network=base.G)
        start = scenario.start or scenario.date
        end = scenario.end or scenario.date
        events = draw_events(scenario, rng, start or dt.date.min, end or dt.date.max)
        variant = replace(scenario, events=events)
        rows = []
        if variant.start and variant.end:
            timeline = simulate(variant)
            for _, r in timeline.summary.iterrows():
                rows.append(
                    {
                        "town": r["town"],
                        "isolated": r["days_isolated"] > 0,
                        "ran_out": r["first_day_short"] is not None,
                        "days_to_stockout": r["days_to_stockout"],
                        "days_isolated": r["days_isolated"],
                        "days_short": r["days_short"],
                        "fuel_stockout_date": r["fuel_stockout_date"],
                    }
                )
        else:
            result = run(variant, with_chokepoints=False)
            for t in result.towns:
                rows.append(
                    {
                        "town": t.town,
                        "isolated": t.status == "isolated",
                        "ran_out": None,
                        "days_to_stockout": None,
                        "days_isolated": None,
                        "days_short": None,
                        "served_fraction": t.served_fraction,
                        "status": t.status,
                    }
                )
        return {"variant": i, "params": params, "rows": rows, "events": len(events), "error": None}
    except Exception as err:  # a failed variant must not lose the others
        text = f"{type(err).__name__}: {err}"
        if not isinstance(err, SiegeInputError):
            text += " | " + traceback.format_exc(limit=3).replace("\n", " ")
        return {"variant": i, "params": params or dict(spec["fixed"]), "rows": [], "events": None, "error": text}


# ---- many variants ----------------------------------------------------------------------------------


def _local(config: SweepConfig, specs, workers: int, progress) -> list[dict]:
    if workers <= 1:
        out = []
        for s in specs:
            out.append(run_variant(config, s))
            if progress:
                progress(1)
        return out
    results = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for r in pool.map(run_variant, itertools.repeat(config), specs, chunksize=max(1, len(specs) // (workers * 8))):
            results.append(r)
            if progress:
                progress(1)
    return results


def _dask(config: SweepConfig, specs, address: str, progress) -> list[dict]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=min(2, os.cpu_count() or 1), threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures = client.map(run_variant, [config] * len(specs), specs, pure=False)
        results = []
        for future in as_completed(futures):
            results.append(future.result())
            if progress:
                progress(1)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep(
    config: SweepConfig,
    *,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run every variant of ``config`` on this machine (``workers`` processes; default all cores) or on a
    Dask cluster (``dask`` = scheduler address or ``"local"``)."""
    base = load_scenario(config.scenario)  # validates the file before anything runs
    config = replace(config, scenario=config.scenario.resolve(), text=config.scenario.read_text(encoding="utf-8"))
    specs = config.variants()
    for axis in config.vary:  # every axis must name something the scenario has
        _set(copy.deepcopy(base.raw), axis.path, None, f"--vary {axis.name}")
    if dask:
        results = _dask(config, specs, dask, progress)
    else:
        results = _local(config, specs, workers or os.cpu_count() or 1, progress)
    results.sort(key=lambda r: r["variant"])
    rows, failures = [], []
    for r in results:
        params = {f"param:{k}": (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r["params"].items()}
        if r["error"]:
            failures.append({"variant": r["variant"], **params, "error": r["error"]})
        for row in r["rows"]:
            rows.append({"variant": r["variant"], **params, "events_drawn": r["events"], **row})
    table = pd.DataFrame(rows)
    return SweepResult(config, table, pd.DataFrame(failures), summarise(table), base)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per town: probability of isolation and of running out, and days to stock-out (median, 5th, 95th
    percentile over the variants in which the town runs out)."""
    if table.empty:
        return pd.DataFrame(columns=["town", "variants", "p_isolated", "p_run_out"])
    out = []
    for town, rows in table.groupby("town", sort=False):
        row = {"town": town, "variants": len(rows), "p_isolated": round(float(rows["isolated"].mean()), 4)}
        ran_out = rows["ran_out"].dropna()
        row["p_run_out"] = round(float(ran_out.astype(bool).mean()), 4) if len(ran_out) else None
        days = pd.to_numeric(rows["days_to_stockout"], errors="coerce").dropna()
        for name, q in (("days_to_stockout_p5", 5), ("days_to_stockout_median", 50), ("days_to_stockout_p95", 95)):
            row[name] = float(np.percentile(days, q)) if len(days) else None
        out.append(row)
    return pd.DataFrame(out).sort_values(["p_run_out", "p_isolated"], ascending=False, na_position="last")


def expected(summary: pd.DataFrame, town: str, column: str) -> float:
    """A summary value (helper for reports and tests)."""
    value = summary.loc[summary["town"] == town, column].iloc[0]
    return float(value) if value is not None and not (isinstance(value, float) and math.isnan(value)) else math.nan
