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

import contextlib
import copy
import datetime as dt
import functools
import itertools
import json
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
import tomllib
import traceback
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siege import settings
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
        number = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(number):
            raise SiegeInputError(where, f"expected finite numbers, got {text[:40]}")
        return number
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
    #: options for loading the scenario's network (road classes, tables), as JSON (``--road-classes``)
    network_options: str = ""

    def variants(self) -> list[dict[str, Any]]:
        """Variant index and fixed axis values (grid) of every variant."""
        if self.grid is None or not self.vary:
            self._check_count(self.runs)
            return [{"variant": i, "fixed": {}} for i in range(self.runs)]
        axes = [a.grid(self.grid) for a in self.vary]
        self._check_count(self.runs * math.prod(len(values) for values in axes))
        combos = list(itertools.product(*axes))
        out = []
        for c, combo in enumerate(combos):
            for r in range(self.runs):
                out.append(
                    {"variant": c * self.runs + r, "fixed": dict(zip([a.name for a in self.vary], combo, strict=True))}
                )
        return out

    def _check_count(self, count: int) -> None:
        if count > settings.MAX_SWEEP_VARIANTS:
            raise SiegeInputError(
                "--runs/--grid", f"{count:,} variants asked for (expected at most {settings.MAX_SWEEP_VARIANTS:,})"
            )


@dataclass
class SweepResult:
    """One row per variant and town, the failed variants, and a summary per town."""

    config: SweepConfig
    table: pd.DataFrame
    failures: pd.DataFrame
    summary: pd.DataFrame
    base: Scenario = field(repr=False)


# ---- one variant ------------------------------------------------------------------------------------


#: base scenarios loaded in this process, by (path, text, network options); :func:`sweep` puts its own
#: here, so that local workers (forked) and the parent load it once
_LOADED: dict[tuple[str, str, str], Scenario] = {}


def _load(path: str, text: str, options: str = "") -> Scenario:
    """The base scenario, loaded once per process (worker), from the file's text if given."""
    key = (path, text, options)
    if key not in _LOADED:
        if len(_LOADED) >= 8:  # a long-lived process sweeping many files keeps the last few
            _LOADED.clear()
        network_options = json.loads(options) if options else None
        if not text:
            _LOADED[key] = load_scenario(path, network_options=network_options)
        else:
            raw = tomllib.loads(text)
            _LOADED[key] = scenario_from_dict(raw, where=path, base=Path(path).parent, network_options=network_options)
    return _LOADED[key]


@cache
def _memo(path: str, text: str, options: str):
    """Work shared by this process's variants of the base scenario (see ``SimulationMemo``)."""
    from siege.supply import SimulationMemo

    return SimulationMemo()


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


def _uncertain(scenario: Scenario) -> bool:
    """Whether the scenario's events hold anything drawn (else its variants differ only by their axes)."""
    return any(e.probability < 1 or e.effect_ranges or e.rate_per_week for e in scenario.events)


@functools.lru_cache(maxsize=64)
def _with_params(path: str, text: str, options: str, vary: tuple[Axis, ...], values: tuple) -> Scenario:
    """The base scenario with the axes set to ``values`` (built once per process for each set of values)."""
    base = _load(path, text, options)
    raw = copy.deepcopy(base.raw)
    for axis, value in zip(vary, values, strict=True):
        _set(raw, axis.path, value.isoformat() if isinstance(value, dt.date) else value, f"--vary {axis.name}")
    return scenario_from_dict(raw, where=path, base=Path(path).parent, network=base.G)


def _axis_values(config: SweepConfig, spec: dict[str, Any]) -> tuple[dict[str, Any], np.random.Generator]:
    """Variant ``spec``'s axis values (fixed by the grid or drawn) and its generator, drawn so far."""
    rng = np.random.default_rng([config.seed, spec["variant"]])
    params = dict(spec["fixed"])
    for axis in config.vary:
        if axis.name not in params:
            params[axis.name] = axis.draw(rng)
    return params, rng


def draw_variant(config: SweepConfig, spec: dict[str, Any]) -> tuple[dict[str, Any], Scenario, list]:
    """Variant ``spec``'s axis values, its scenario (axes set) and its drawn events."""
    base = _load(str(config.scenario), config.text, config.network_options)
    params, rng = _axis_values(config, spec)
    scenario = base
    if params:
        values = tuple(params[axis.name] for axis in config.vary)
        scenario = _with_params(str(config.scenario), config.text, config.network_options, config.vary, values)
    start = scenario.start or scenario.date
    end = scenario.end or scenario.date
    return params, scenario, draw_events(scenario, rng, start or dt.date.min, end or dt.date.max)


def _same_draws(config: SweepConfig, specs: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The variants grouped by what they drew, keyed by the first of each group: variants that drew the
    same axis values and the same events are the same run, solved once. Continuous axes draw a new
    value for every variant, so their variants are never grouped (and nothing is drawn here for them)."""
    continuous = config.grid is None and any(not a.values and not isinstance(a.low, dt.date) for a in config.vary)
    # an axis value is a number, a date or a word: it can make an event uncertain only through these
    uncertain = _uncertain(_load(str(config.scenario), config.text, config.network_options)) or any(
        axis.path[-1] in ("probability", "rate_per_week") for axis in config.vary
    )
    groups: dict[Any, list[dict[str, Any]]] = {}
    for spec in specs:
        key: Any = spec["variant"]
        if not continuous:
            try:
                if uncertain:
                    params, _, events = draw_variant(config, spec)
                    key = (tuple(params.items()), tuple(events))
                else:  # the events are the scenario's own: the axis values decide the variant
                    key = tuple(_axis_values(config, spec)[0].items())
                hash(key)
            except Exception:  # an invalid or unhashable variant runs alone (and reports its own error)
                key = spec["variant"]
        groups.setdefault(key, []).append(spec)
    return {group[0]["variant"]: group for group in groups.values()}


def run_variant(config: SweepConfig, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one variant; never raises: a failure comes back with its parameters and the error."""
    from siege.analyses.isolation import run
    from siege.supply import simulate

    i = spec["variant"]
    params: dict[str, Any] = {}
    try:
        params, _ = _axis_values(config, spec)
        params, scenario, events = draw_variant(config, spec)
        variant = replace(scenario, events=events)
        rows = []
        if variant.start and variant.end:
            # variants that differ from the base only in their events share lanes and solved days
            same_ground = all(axis.path[0] == "events" for axis in config.vary)
            timeline = simulate(
                variant, memo=_memo(str(config.scenario), config.text, config.network_options) if same_ground else None
            )
            for _, r in timeline.towns.iterrows():
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
        return _failed(spec, text, params)


def run_variants(config: SweepConfig, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run several variants, in order, on one worker (see :func:`run_variant`)."""
    return [run_variant(config, spec) for spec in specs]


def _failed(spec: dict[str, Any], error: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "variant": spec["variant"],
        "params": params or dict(spec["fixed"]),
        "rows": [],
        "events": None,
        "error": error,
    }


# ---- many variants ----------------------------------------------------------------------------------


def _worker_signals() -> None:
    # Ctrl-C reaches every process of the terminal's group: only the parent acts on it, by stopping
    # the workers itself (SIGTERM, default action), so they never print tracebacks or keep computing
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _by_values(config: SweepConfig, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The variants in the order of their axis values (grid or drawn): neighbours share more of their
    days (those before the first value that differs, those where their stocks meet again), so runs
    handed to one worker together solve fewer days between them. Any order gives the same table."""
    try:
        return sorted(specs, key=lambda spec: tuple(_axis_values(config, spec)[0].values()))
    except TypeError:  # values of kinds that do not compare (numbers and words on one axis)
        return specs


def _guided(specs: list, workers: int) -> list[list]:
    """Tasks of neighbouring variants, shrinking as the sweep goes: each ``1 / (2 × workers)`` of what
    is left. Large first tasks share the most solved days; the last are single variants, so no worker
    idles long at the end while another finishes a large one (Dask hands tasks out in this order)."""
    tasks, k = [], 0
    while k < len(specs):
        size = max(1, math.ceil((len(specs) - k) / (2 * workers)))
        tasks.append(specs[k : k + size])
        k += size
    return tasks


def _stretch_bounds(count: int, parts: int) -> list[int]:
    """Where each of ``parts`` equal stretches of ``count`` variants starts, and the end."""
    return [round(k * count / parts) for k in range(parts + 1)]


def _placed(specs: list, nthreads: dict[str, int]) -> list[tuple[list, str | None]]:
    """Dask tasks and the worker each is meant for: one stretch of neighbouring variants per worker
    (as the local processes have), cut into shrinking tasks (see _guided). Without a home per
    stretch the scheduler deals tasks round the workers and each one solves more days of its own."""
    homes = sorted(nthreads) or [None]
    bounds = _stretch_bounds(len(specs), len(homes))
    return [
        (chunk, home)
        for w, home in enumerate(homes)
        for chunk in _guided(specs[bounds[w] : bounds[w + 1]], max(1, nthreads.get(home, 1)))
    ]


# ---- local processes: each worker runs a stretch of neighbouring variants from its start, then takes
# the last variants of the stretch with the most left (work stealing) --------------------------------

_CLAIMS: tuple | None = None  # this worker's view of the claims: (specs, starts, ends, rank, lock)


def _claims_init(specs, starts, ends, ranks, lock) -> None:
    _worker_signals()
    global _CLAIMS
    with lock:
        rank = ranks.value
        ranks.value += 1
    _CLAIMS = (specs, starts, ends, rank, lock)


def _claim() -> dict[str, Any]:
    """The next variant for this worker: the next of its own stretch, or when that is done the last
    of the stretch with the most left (its neighbours there are the other worker's, not yet run)."""
    specs, starts, ends, rank, lock = _CLAIMS
    with lock:
        if rank < len(starts) and starts[rank] < ends[rank]:
            i = starts[rank]
            starts[rank] += 1
        else:
            r = max(range(len(starts)), key=lambda k: ends[k] - starts[k])
            ends[r] -= 1
            i = ends[r]
    return specs[i]


def _run_claimed(config: SweepConfig, _task: int) -> dict[str, Any]:
    return run_variant(config, _claim())


def _local(config: SweepConfig, specs, workers: int, progress) -> list[dict]:
    workers = min(workers, len(specs))
    if workers <= 1:
        out = []
        for s in specs:
            out.append(r := run_variant(config, s))
            if progress:
                progress(r)
        return out
    specs = _by_values(config, specs)
    # one stretch of neighbouring variants per worker; one task per variant, each taking the next
    # variant its worker should run (so a worker runs neighbours and none idles while others work)
    bounds = _stretch_bounds(len(specs), workers)
    context = multiprocessing.get_context()
    lock = context.Lock()
    starts, ends = context.RawArray("q", bounds[:-1]), context.RawArray("q", bounds[1:])
    shared = (specs, starts, ends, context.RawValue("q", 0), lock)
    others = set(multiprocessing.active_children())  # the caller's own, left alone
    results = []
    pool = context.Pool(workers, initializer=_claims_init, initargs=shared)
    try:
        for r in pool.imap_unordered(functools.partial(_run_claimed, config), range(len(specs))):
            results.append(r)
            if progress:
                progress(r)
        pool.close()
    except BaseException:  # Ctrl-C, SIGTERM: the workers stop now, not when their chunks are done
        # Pool.terminate() waits for its workers and its queue's lock without a bound: it gets a
        # while, then every worker still alive is killed
        stopper = threading.Thread(target=pool.terminate, daemon=True)
        stopper.start()
        stopper.join(settings.WORKER_STOP_GRACE_S)
        stop_children(spare=others)
        raise
    pool.join()
    return results


def stop_children(*, spare: Collection = frozenset(), grace: float = settings.WORKER_STOP_GRACE_S) -> None:
    """Stop the child processes still running, but those in ``spare``: SIGTERM, then SIGKILL after
    ``grace`` seconds (a worker stuck in native code never runs a Python signal handler). A stopped
    sweep must not leave a process behind, nor wait on one for ever."""
    children = [child for child in multiprocessing.active_children() if child not in spare]
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
    for child in children:
        if child.is_alive():
            child.kill()
            child.join(grace)


#: a local cluster shares this machine's cores with its variants: its workers are forked from this
#: process (they start with its imports and loaded scenario), and its servers wake up less often than
#: Dask's defaults, which serve a dashboard this cluster has not (a stack sample every 10 ms, an
#: event-loop check every 20 ms, a memory reading every 100 ms in each of its processes)
_LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.multiprocessing-method": "fork",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


@contextlib.contextmanager
def _dask_client(address: str) -> Iterator[Any]:
    """A Dask client to ``address`` (or to a new LocalCluster for ``"local"``); bad addresses and
    unreachable schedulers are input errors. Dask's own logging is kept off the terminal."""
    from distributed import Client, LocalCluster

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    cluster = client = None
    others = set(multiprocessing.active_children())  # the caller's own, left alone
    try:
        if address == "local":
            # workers start with Ctrl-C only noted (the handler is inherited), so the parent closes them;
            # a Ctrl-C while they start is acted on once they have (ignoring it would run the sweep on)
            noted: list[int] = []
            previous = signal.signal(signal.SIGINT, lambda signum, _: noted.append(signum)) if _main_thread() else None
            try:
                import dask

                with dask.config.set(_LOCAL_CLUSTER_CONFIG):
                    cluster = LocalCluster(
                        n_workers=min(2, os.cpu_count() or 1),
                        threads_per_worker=1,
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            if noted:
                raise KeyboardInterrupt
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout=settings.DASK_CONNECT_TIMEOUT_S)
            except Exception as err:  # distributed raises OSError, TimeoutError, ValueError, TypeError …
                reason = " ".join(str(err).split())[:160] or type(err).__name__
                raise SiegeInputError(
                    f"--dask {address[:100]}",
                    f"no Dask scheduler answers there ({reason}); expected a running scheduler's address "
                    "like tcp://host:8786, or 'local'",
                ) from None
        yield client
    finally:
        with contextlib.suppress(Exception):
            if client is not None:
                client.close(timeout=5)
        with contextlib.suppress(Exception):
            if cluster is not None:
                cluster.close(timeout=5)
        if cluster is not None:
            stop_children(spare=others)  # a local cluster's worker processes are this process's children
        quiet.setLevel(level)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _dask(config: SweepConfig, specs, address: str, progress, no_worker_timeout: float) -> list[dict]:
    from distributed import wait

    with _dask_client(address) as client:
        futures, spec_of = [], {}  # spec_of: task -> its variants
        for chunk, home in _placed(_by_values(config, specs), client.nthreads()):
            # loose restriction: the task goes to its stretch's worker, but an idle one may take it
            where = {"workers": [home], "allow_other_workers": True} if home else {}
            futures.append(future := client.submit(run_variants, config, chunk, pure=False, **where))
            spec_of[future.key] = chunk
        pending, results = set(futures), []
        no_workers_since: float | None = None
        while pending:
            if not client.scheduler_info().get("workers"):
                # results of finished tasks live on workers: with none left, nothing can come back
                no_workers_since = no_workers_since or time.monotonic()
                if time.monotonic() - no_workers_since > no_worker_timeout:
                    raise SiegeInputError(
                        f"--dask {address[:100]}",
                        f"no Dask worker left for {no_worker_timeout:g} s with {len(pending)} "
                        "variant(s) to run (expected a cluster with running workers)",
                    )
                time.sleep(0.5)
                continue
            no_workers_since = None
            try:
                done, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed.wait raises instead of returning nothing done
                continue
            for future in done:
                if future.status == "finished":
                    try:  # the result lives on a worker; one that died since must not hang the sweep
                        got = future.result(timeout=2)
                    except TimeoutError:
                        pending.add(future)
                        continue
                elif future.status in ("error", "cancelled"):  # its workers died (KilledWorker) or it was lost
                    error = " ".join(str(future.exception()).split())[:300]
                    why = f"{type(future.exception()).__name__}: {error}"
                    got = [_failed(spec, why) for spec in spec_of[future.key]]
                else:
                    pending.add(future)
                    continue
                results.extend(got)
                if progress:
                    for r in got:
                        progress(r)
        return results


def sweep(
    config: SweepConfig,
    *,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int], None] | None = None,
    dask_no_worker_timeout: float = settings.DASK_NO_WORKER_TIMEOUT_S,
) -> SweepResult:
    """Run every variant of ``config`` on this machine (``workers`` processes; default all cores) or on a
    Dask cluster (``dask`` = scheduler address or ``"local"``). A Dask sweep left with no worker for
    ``dask_no_worker_timeout`` seconds stops with an error instead of waiting forever. A local cluster
    is not started for a sweep whose variants are all one run: that run is made here, as with
    ``workers`` (a cluster would only add its start to the same answer)."""
    options = json.loads(config.network_options) if config.network_options else None
    base = load_scenario(config.scenario, network_options=options)  # validates the file before anything runs
    config = replace(config, scenario=config.scenario.resolve(), text=config.scenario.read_text(encoding="utf-8"))
    _LOADED[(str(config.scenario), config.text, config.network_options)] = base
    specs = config.variants()
    for axis in config.vary:  # every axis must name something the scenario has (a value that makes a
        _set(copy.deepcopy(base.raw), axis.path, None, f"--vary {axis.name}")  # variant invalid fails that one)
    groups = _same_draws(config, specs)  # each distinct variant is run once
    firsts = [group[0] for group in groups.values()]

    def done(result: dict) -> None:
        if progress:
            progress(len(groups[result["variant"]]))

    if dask and not (dask == "local" and len(firsts) == 1):
        runs = _dask(config, firsts, dask, done, dask_no_worker_timeout)
    else:
        runs = _local(config, firsts, workers or os.cpu_count() or 1, done)
    # a variant's outcome is its group's: the same axis values and the same events
    results = [{**r, "variant": spec["variant"]} for r in runs for spec in groups[r["variant"]]]
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
