"""Scenario files (TOML): reading, strict validation, and resolution against the network.

Every error names the file, the field (``events[2].radius_km``) and what was expected. A scenario is
fully validated — including every event against the network — before anything runs or is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx

from siege import settings, validation
from siege.errors import SiegeInputError
from siege.network import bundled
from siege.network.admin import AdminAreas, AdminUnit, bundled_admin, read_admin
from siege.network.source import load_network
from siege.places import Gazetteer, Place, gazetteer_for, normalize_name
from siege.scenario.commodities import Commodity, commodity_names, parse_commodities, parse_commodity_list
from siege.scenario.context import NetworkContext
from siege.scenario.dates import parse_date
from siege.scenario.events import EVENT_KINDS, Event
from siege.scenario.supply_chain import ChainRule, parse_rules

TOP_FIELDS = (
    "name",
    "description",
    "sources",
    "date",
    "start",
    "end",
    "network",
    "supply",
    "towns",
    "demand",
    "thresholds",
    "interdiction",
    "stocks",
    "events",
    "commodities",
    "allocation",
    "producers",
    "capital",
    "replace_default_supply",
    "corridor_shares",
    "supply_chain",
    "seasons",
    "admin",
)
#: kinds of the default towns: Mali's capitals; on an extract, its capital, cities and towns (not villages)
TOWN_KINDS = ("capital", "regional_capital", "cercle_capital", "town")
#: bounds of the demand rule's fields: at most one truck a day per person; at most a billion people
DEMAND_RULE_MAXIMA = {"trucks_per_10000_people": 10_000.0, "unknown_population": 1e9}


@dataclass(frozen=True)
class SupplyPoint:
    """Where supplies enter: a port, border post or depot, with its capacity in trucks/day."""

    name: str
    node: int
    capacity: float
    basis: str = ""
    #: the commodities it supplies (imports: every commodity carried from imports; producers: food)
    commodities: frozenset[str] = frozenset()
    #: a cap of its own per commodity, in that commodity's units per day (e.g. Dakar: 100 tankers/day)
    by_commodity: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Town:
    """A town of interest with its demand; ``node`` is ``None`` when it is not on the network."""

    name: str
    kind: str
    population: int | None
    demand: float
    node: int | None
    snap_km: float | None
    lat: float | None = None
    lon: float | None = None
    #: why the town is not on the network, in words (empty when it is)
    off_reason: str = ""
    #: its region and cercle with their P-codes (``None`` outside every admin polygon)
    admin: AdminUnit | None = None


@dataclass
class Scenario:
    """A validated scenario, resolved against its network."""

    name: str
    description: str
    sources: list[str]
    date: dt.date | None
    start: dt.date | None
    end: dt.date | None
    network_source: str
    G: nx.MultiDiGraph
    supply: list[SupplyPoint]
    towns: list[Town]
    thresholds: dict[str, float]
    events: list[Event]
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    #: stock of each commodity at the start, in days of demand, per town
    stocks: dict[str, dict[str, float]] = field(default_factory=dict)
    #: interdiction settings: ``cost`` basis (class, length, uniform), ``overrides``, ``within`` (where
    #: the attacker acts: a polygon or a set of edge keys, ``None``: anywhere) and ``reach`` (in words)
    #: [(edge keys, cost), ...] for the segments the scenario prices itself
    interdiction: dict[str, Any] = field(
        default_factory=lambda: {"cost": "class", "overrides": [], "within": None, "reach": "anywhere"}
    )
    #: the TOML as read (sweeps vary it and validate it again)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    #: commodities tracked through time (networks/mali/commodities.csv, [commodities.NAME] overrides)
    commodities: tuple[Commodity, ...] = ()
    #: producing regions (food), supply points for runs through time
    producers: list[SupplyPoint] = field(default_factory=list)
    #: who gets scarce supply: ``policy`` (max-min, proportional, priority) and ``priority`` (town names)
    allocation: dict[str, Any] = field(default_factory=lambda: {"policy": settings.DEFAULT_ALLOCATION, "priority": []})
    #: per town and commodity, demand per day set by the scenario (``[demand.fuel] Bamako = 20``)
    commodity_demand: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the capital (national depot): ``capital = "..."`` in the scenario, else the town the data
    #: marks as capital (Mali's gazetteer: Bamako; an extract: ``capital=yes``), else none
    capital: str | None = None
    #: the normal day's share of each commodity's imports by supply point (commodity -> name -> share):
    #: ``networks/mali/corridor_shares.csv``, or ``[corridor_shares.COMMODITY]`` in the scenario
    corridor_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    #: who supplies whom per commodity (:mod:`siege.scenario.supply_chain`): the bundled
    #: ``networks/mali/supply_chain.csv`` on the bundled network, with ``[[supply_chain]]`` rows on top
    supply_chain: list[ChainRule] = field(default_factory=list)
    #: the admin polygons the towns were placed in (bundled: Mali's cercles with OCHA P-codes)
    admin: AdminAreas | None = field(default=None, repr=False)

    @property
    def on_network(self) -> list[Town]:
        """Towns that are on the network."""
        return [t for t in self.towns if t.node is not None]

    @property
    def off_network(self) -> list[Town]:
        """Towns too far from any road to be modelled."""
        return [t for t in self.towns if t.node is None]

    @property
    def schematic(self) -> bool:
        """Whether the network is the schematic bundled one."""
        return bool(self.G.graph.get("schematic"))

    def active_events(self, day: dt.date | None = None) -> list[Event]:
        """Events acting on ``day`` (default: the scenario's date; all events if it has none)."""
        day = day if day is not None else self.date
        return [e for e in self.events if e.active_on(day)]


def scenario_toml_text(raw: Mapping[str, Any], base: Path) -> str:
    """A scenario table as TOML text to be written in another folder than ``base`` (the folder its
    paths are relative to): the files it names (``network``, ``admin``, an event's ``polygon_file``,
    an ``[interdiction] within`` polygon) made absolute, empty values dropped (TOML has no null)."""
    import tomli_w

    def absolute(value: Any) -> Any:
        if not isinstance(value, str) or Path(value).is_absolute():
            return value
        return str((base / value).resolve())

    out = dict(raw)
    if "network" in out and out["network"] != "mali":
        out["network"] = absolute(out["network"])
    if "admin" in out:
        out["admin"] = absolute(out["admin"])
    within = out.get("interdiction", {}).get("within") if isinstance(out.get("interdiction"), Mapping) else None
    if isinstance(within, str) and within.lower().endswith((".geojson", ".json", ".gpkg")):
        out["interdiction"] = {**out["interdiction"], "within": absolute(within)}
    out["events"] = [
        {**e, "polygon_file": absolute(e["polygon_file"])} if isinstance(e, Mapping) and "polygon_file" in e else e
        for e in out.get("events", [])
    ]
    return tomli_w.dumps(_toml_ready(out))


def _toml_ready(value: Any) -> Any:
    """TOML has no null: drop empty values; dates stay dates."""
    if isinstance(value, Mapping):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_ready(v) for v in value if v is not None]
    return value


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file with one-line errors."""
    if not path.exists():
        raise SiegeInputError(str(path), "no such file (expected a scenario TOML file)")
    if not path.is_file():
        raise SiegeInputError(str(path), "not a file (expected a scenario TOML file)")
    if path.stat().st_size > validation.MAX_SCENARIO_BYTES:
        raise SiegeInputError(
            str(path), f"file too large (expected a scenario of at most {validation.MAX_SCENARIO_BYTES:,} bytes)"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SiegeInputError(str(path), f"malformed TOML ({err})") from None
    except UnicodeDecodeError:
        raise SiegeInputError(str(path), "not UTF-8 text (expected a scenario TOML file)") from None
    except (RecursionError, MemoryError):
        raise SiegeInputError(str(path), f"nested too deep (expected at most {validation.MAX_DEPTH} levels)") from None
    except OSError as err:
        raise SiegeInputError(str(path), f"cannot be read ({err.strerror or err})") from None
    return raw


def load_scenario(
    path: str | Path,
    *,
    network: nx.MultiDiGraph | None = None,
    gazetteer: Gazetteer | None = None,
    network_options: Mapping[str, Any] | None = None,
    admin: str | Path | AdminAreas | None = None,
) -> Scenario:
    """Read and validate a scenario file; ``network`` skips loading the one the file names;
    ``network_options`` (road classes, speed and capacity tables) are passed to the network loader;
    ``admin`` (a GeoJSON/GeoPackage of admin-2 polygons) replaces the scenario's and the bundled ones."""
    path = Path(path)
    return scenario_from_dict(
        read_toml(path),
        where=str(path),
        base=path.parent,
        network=network,
        gazetteer=gazetteer,
        network_options=network_options,
        admin=admin,
    )


def scenario_from_dict(
    raw: Mapping[str, Any],
    *,
    where: str = "scenario",
    base: Path = Path("."),
    network: nx.MultiDiGraph | None = None,
    gazetteer: Gazetteer | None = None,
    network_options: Mapping[str, Any] | None = None,
    admin: str | Path | AdminAreas | None = None,
) -> Scenario:
    """Validate a scenario given as a dictionary (the parsed TOML).

    Every check a run depends on happens here, so ``siege validate`` accepts exactly what runs."""
    if not isinstance(raw, Mapping):
        raise SiegeInputError(where, "expected a scenario table")
    validation.check_structure(raw, where)
    unknown = [k for k in raw if k not in TOP_FIELDS]
    if unknown:
        raise SiegeInputError(f"{where}: {unknown[0]}", f"unknown field (expected {', '.join(TOP_FIELDS)})")
    name = _text(raw, "name", where, limit=validation.MAX_NAME_CHARS)
    description = _text(raw, "description", where, default="")
    sources = raw.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise SiegeInputError(f"{where}: sources", "expected a list of texts (report titles or URLs)")
    for i, src in enumerate(sources):
        validation.text(src, f"{where}: sources[{i}]", required=False)
    date = parse_date(raw["date"], f"{where}: date") if "date" in raw else None
    start = parse_date(raw["start"], f"{where}: start") if "start" in raw else None
    end = parse_date(raw["end"], f"{where}: end", end=True) if "end" in raw else None
    if start and end and end < start:
        raise SiegeInputError(f"{where}: end", f"ends ({end}) before it starts ({start})")
    if start and end:
        validation.check_period(start, end, f"{where}: end")
    if date is None and end is not None:
        date = end  # a period without an evaluation day is judged on its last day

    network_source = str(raw.get("network", settings.BUNDLED_NETWORK))
    if network is None:
        source = network_source
        if source != settings.BUNDLED_NETWORK and not Path(source).is_absolute():
            source = str(base / source)
        network = load_network(source, **dict(network_options or {}))
    gazetteer = gazetteer or gazetteer_for(network)
    custom = _custom_places(raw, where)
    if custom:  # places the scenario positions itself come first: they name what the scenario means
        gazetteer = Gazetteer([*custom, *gazetteer.places], source=f"{where} + {gazetteer.source}")
    ctx = NetworkContext(network, gazetteer)

    notes: list[str] = []
    commodities = parse_commodities(raw.get("commodities", {}), where, requested=_named_commodities(raw))
    replace = raw.get("replace_default_supply", False)
    if not isinstance(replace, bool):
        raise SiegeInputError(f"{where}: replace_default_supply", "expected true or false")
    supply = _supply(raw.get("supply"), where, ctx, notes, commodities, replace=replace)
    producers = _supply(raw.get("producers"), where, ctx, notes, commodities, producers=True, replace=replace)
    areas = _admin(admin if admin is not None else raw.get("admin"), where, base)
    towns = _towns(raw.get("towns", {}), raw.get("demand", {}), where, ctx, areas)
    if not any(t.node is not None for t in towns):
        off = "; ".join(f"{t.name} {t.snap_km:.0f} km" if t.snap_km is not None else t.name for t in towns[:5])
        raise SiegeInputError(
            f"{where}: towns",
            f"no town of the scenario lies on the network (nearest road node: {off}; expected at least one "
            f"within {ctx.max_snap_km:g} km of a road)",
        )
    thresholds = _thresholds(raw.get("thresholds", {}), where)
    stocks = _stocks(raw.get("stocks", {}), where, towns, ctx.gazetteer)
    events = _events(raw.get("events", []), where, ctx)
    seasons = raw.get("seasons", bool(network.graph.get("schematic")))
    if not isinstance(seasons, bool):
        raise SiegeInputError(f"{where}: seasons", "expected true or false")
    if seasons and bool(network.graph.get("schematic")) and (date or start or end):
        events += seasonal_events(ctx, first_index=len(events))
    start, end = _period_for_stock_events(events, date, start, end, where, notes)
    allocation = _allocation(raw.get("allocation", {}), where, towns, ctx.gazetteer)
    commodity_demand = _commodity_demand(raw.get("demand", {}), where, towns, ctx.gazetteer)
    capital = _capital(raw, where, towns, ctx.gazetteer)
    capital_node = next((t.node for t in towns if t.name == capital), None)
    interdiction = _interdiction(raw.get("interdiction", {}), where, ctx, base, capital_node)
    corridor_shares = _corridor_shares(raw.get("corridor_shares", {}), where, supply, ctx.gazetteer)
    chain_rules = parse_rules(
        raw.get("supply_chain"),
        where,
        [t for t in towns if t.node is not None],
        capital,
        ctx.gazetteer,
        bundled_rules=bool(network.graph.get("schematic")),
    )
    return Scenario(
        name=name,
        description=description,
        sources=list(sources),
        date=date,
        start=start,
        end=end,
        network_source=str(network.graph.get("source", network_source)),
        G=network,
        supply=supply,
        towns=towns,
        thresholds=thresholds,
        events=events,
        path=Path(where) if where != "scenario" else None,
        notes=notes,
        stocks=stocks,
        interdiction=interdiction,
        raw=dict(raw),
        commodities=commodities,
        producers=producers,
        allocation=allocation,
        commodity_demand=commodity_demand,
        capital=capital,
        corridor_shares=corridor_shares,
        supply_chain=chain_rules,
        admin=areas,
    )


def _admin(value: Any, where: str, base: Path) -> AdminAreas:
    """The admin polygons: given ones, a file the scenario names (relative to it), or the bundled cercles."""
    if isinstance(value, AdminAreas):
        return value
    if value is None:
        return bundled_admin()
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise SiegeInputError(f"{where}: admin", "expected the path of a GeoJSON or GeoPackage of admin-2 polygons")
    path = Path(value)
    return read_admin(path if path.is_absolute() else base / path)


def _number(value: Any, where: str, *, zero: bool = False, maximum: float = math.inf, unit: str = "a number") -> float:
    """A finite number above 0 (or, with ``zero``, at least 0) and at most ``maximum``."""
    expected = f"{unit} {'from 0' if zero else 'above 0'}" + (f" to {maximum:g}" if math.isfinite(maximum) else "")
    return validation.number(value, where, strict=not zero, maximum=maximum, expected=expected)


def _text(raw: Mapping[str, Any], key: str, where: str, default: str | None = None, limit: int = 0) -> str:
    return validation.text(
        raw.get(key, default),
        f"{where}: {key}",
        limit=limit or validation.MAX_TEXT_CHARS,
        required=default is None,
    )


def default_corridor_shares() -> dict[str, dict[str, float]]:
    """The documented normal-day shares of imports by gateway (``networks/mali/corridor_shares.csv``)."""
    out: dict[str, dict[str, float]] = {}
    with (bundled.data_dir() / "corridor_shares.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["commodity"], {})[r["gateway"]] = float(r["share"])
    return out


def _corridor_shares(
    raw: Any, where: str, supply: list[SupplyPoint], gazetteer: Gazetteer
) -> dict[str, dict[str, float]]:
    """Shares by commodity for the scenario's supply points: the bundled table, each commodity's
    replaced whole by a ``[corridor_shares.COMMODITY]`` table; gateways not among the supply points drop."""
    if not isinstance(raw, Mapping):
        raise SiegeInputError(f"{where}: corridor_shares", 'expected tables like [corridor_shares.fuel] "Dakar" = 0.8')
    shares = default_corridor_shares()
    for commodity, table in raw.items():
        at = f"{where}: corridor_shares.{commodity}"
        parse_commodity_list([commodity], at)
        if not isinstance(table, Mapping):
            raise SiegeInputError(at, 'expected a table of supply point = share, like "Dakar" = 0.8')
        shares[commodity] = {
            gazetteer.get(str(name), f"{at}.{name}").name: _number(
                v, f"{at}.{name}", zero=True, maximum=1.0, unit="a share"
            )
            for name, v in table.items()
        }
        if sum(shares[commodity].values()) > 1 + 1e-9:
            raise SiegeInputError(at, "the shares add up to more than 1")
    present = {p.name for p in supply}
    return {c: {g: v for g, v in t.items() if g in present} for c, t in shares.items()}


def default_supply(*, producers: bool = False) -> list[dict[str, Any]]:
    """Mali's import gateways (``networks/mali/supply.csv``) or food-producing regions
    (``producers.csv``) with their capacities; sources inside."""
    name = "producers.csv" if producers else "supply.csv"
    with (bundled.data_dir() / name).open(newline="", encoding="utf-8") as f:
        rows = []
        for r in csv.DictReader(f):
            row = {"place": r["place"], "capacity": float(r["capacity_trucks_per_day"]), "basis": r["basis"]}
            if r.get("commodities"):
                row["commodities"] = r["commodities"].split(",")
            caps = {c: float(r[f"{c}_tankers_per_day"]) for c in ("fuel",) if r.get(f"{c}_tankers_per_day")}
            if caps:
                row["by_commodity"] = caps
            rows.append(row)
        return rows


def _supply(
    raw: Any,
    where: str,
    ctx: NetworkContext,
    notes: list[str],
    commodities: tuple[Commodity, ...],
    *,
    producers: bool = False,
    replace: bool = False,
) -> list[SupplyPoint]:
    """The scenario's supply points (or producers) and, unless ``replace``, the network's default ones
    they do not name: a scenario's ``[[supply]]`` adds a gateway, it does not silently remove the others."""
    section = "producers" if producers else "supply"
    explicit = raw is not None
    if explicit and (not isinstance(raw, list) or (not raw and not producers and replace)):
        raise SiegeInputError(f"{where}: {section}", f"expected [[{section}]] tables with place and capacity")
    rows = list(raw) if explicit else []
    n_explicit = len(rows)
    if not (explicit and replace):

        def same(name: Any) -> str:
            try:
                return ctx.gazetteer.get(str(name)).name
            except (SiegeInputError, KeyError):
                return normalize_name(str(name))

        # a scenario row replaces the default of the same place
        named = {same(r.get("place", r.get("name", ""))) for r in rows if isinstance(r, Mapping)}
        rows += [d for d in default_supply(producers=producers) if same(d["place"]) not in named]
    left_out: list[str] = []
    kind = "producers" if producers else "imports"
    default_carried = frozenset(c.name for c in commodities if kind in c.carried_from)
    points = []
    for i, row in enumerate(rows):
        at = f"{where}: {section}[{i}]"
        if not isinstance(row, Mapping):
            raise SiegeInputError(at, "expected a table with place and capacity")
        # a supply point is a named place, or a place of its own: name, lat, lon
        own = ("name", "lat", "lon") if "place" not in row and "name" in row else ()
        fields = ("place", "capacity", "basis", "note", "commodities", "by_commodity", *own)
        unknown = [k for k in row if k not in fields]
        if unknown:
            raise SiegeInputError(
                f"{at}.{unknown[0]}",
                "unknown field (expected place (or name, lat, lon), capacity, commodities, by_commodity, note)",
            )
        caps = row.get("by_commodity", {})
        if not isinstance(caps, Mapping):
            raise SiegeInputError(f"{at}.by_commodity", "expected a table like {fuel = 100}")
        by_commodity = []
        for c, v in caps.items():
            parse_commodity_list([c], f"{at}.by_commodity")
            limit = _number(
                v, f"{at}.by_commodity.{c}", zero=True, maximum=validation.MAX_TRUCKS_PER_DAY, unit="units/day"
            )
            by_commodity.append((c, limit))
        cap = _number(row.get("capacity"), f"{at}.capacity", maximum=validation.MAX_TRUCKS_PER_DAY, unit="trucks/day")
        carried = (
            parse_commodity_list(row["commodities"], f"{at}.commodities") if "commodities" in row else default_carried
        )
        try:
            key = "name" if own else "place"
            node = ctx.node_of(_text(row, key, at), f"{at}.{key}")
        except SiegeInputError:
            if i < n_explicit:
                raise
            left_out.append(row["place"])
            continue
        place = ctx.gazetteer.get(row["name" if own else "place"])
        basis = str(row.get("basis", row.get("note", "")))
        points.append(SupplyPoint(place.name, node, float(cap), basis, carried, tuple(by_commodity)))
    if left_out:
        what = "producers" if producers else "supply points"
        shown = ", ".join(left_out[:6]) + (f" and {len(left_out) - 6} more" if len(left_out) > 6 else "")
        notes.append(f"default {what} not on this network, left out: {shown}")
    if not points and not producers:
        raise SiegeInputError(f"{where}: supply", "no supply point lies on the network")
    return points


def _commodity_demand(raw: Any, where: str, towns: list[Town], gazetteer: Gazetteer) -> dict[str, dict[str, float]]:
    """``[demand.COMMODITY]`` tables: town = units per day, overriding the commodity's demand rule."""
    out: dict[str, dict[str, float]] = {}
    known = {t.name for t in towns}
    for commodity in commodity_names():
        table = raw.get(commodity, {}) if isinstance(raw, Mapping) else {}
        at = f"{where}: demand.{commodity}"
        if not isinstance(table, Mapping):
            raise SiegeInputError(at, "expected a table of town = units per day")
        for name, value in table.items():
            place = gazetteer.get(name, at)
            if place.name not in known:
                raise SiegeInputError(f"{at}.{place.name}", "not one of the scenario's towns")
            out.setdefault(place.name, {})[commodity] = _number(
                value, f"{at}.{place.name}", zero=True, maximum=validation.MAX_TRUCKS_PER_DAY, unit="units/day"
            )
    return out


def _allocation(raw: Any, where: str, towns: list[Town], gazetteer: Gazetteer) -> dict[str, Any]:
    """``[allocation]``: ``policy`` (max-min, proportional, priority) and ``priority`` = [towns]."""
    at = f"{where}: allocation"
    if not isinstance(raw, Mapping) or set(raw) - {"policy", "priority"}:
        raise SiegeInputError(at, "expected an [allocation] table with policy and priority")
    policy = raw.get("policy", settings.DEFAULT_ALLOCATION)
    policies = settings.ALLOCATION_POLICIES
    if policy not in policies:
        raise SiegeInputError(f"{at}.policy", f"expected one of {', '.join(policies)}, got {validation.show(policy)}")
    names = _names(raw.get("priority", []), f"{at}.priority", allow_empty=True)
    priority = [gazetteer.get(n, f"{at}.priority").name for n in names]
    known = {t.name for t in towns}
    for name in priority:
        if name not in known:
            raise SiegeInputError(f"{at}.priority", f"{name} is not one of the scenario's towns")
    if policy == "priority" and not priority:
        raise SiegeInputError(f"{at}.priority", "the priority policy needs a list of towns served first")
    return {"policy": policy, "priority": priority}


def demand_of(population: int | None, rule: Mapping[str, float]) -> float:
    """Trucks per day a town needs, from its population by the documented rule."""
    people = population if population else rule["unknown_population"]
    return max(settings.MIN_DEMAND_TRUCKS_PER_DAY, people / 10_000 * rule["trucks_per_10000_people"])


def _towns(raw: Any, demand_raw: Any, where: str, ctx: NetworkContext, areas: AdminAreas) -> list[Town]:
    if not isinstance(raw, Mapping) or set(raw) - {"names", "add"}:
        bad = sorted(set(raw) - {"names", "add"})[0] if isinstance(raw, Mapping) else ""
        raise SiegeInputError(f"{where}: towns{'.' + bad if bad else ''}", "expected a [towns] table with names or add")
    if not isinstance(demand_raw, Mapping):
        raise SiegeInputError(f"{where}: demand", "expected a [demand] table")
    rule = {
        "trucks_per_10000_people": settings.TRUCKS_PER_10000_PEOPLE,
        "unknown_population": settings.UNKNOWN_POPULATION,
    }
    for key in demand_raw:
        if key not in (*rule, "trucks_per_day", *commodity_names()):
            raise SiegeInputError(
                f"{where}: demand.{str(key)[:40]}",
                "unknown field (expected trucks_per_10000_people, unknown_population, trucks_per_day, or a "
                f"commodity: {', '.join(commodity_names())})",
            )
        if key in rule:
            rule[key] = _number(demand_raw[key], f"{where}: demand.{key}", maximum=DEMAND_RULE_MAXIMA[key])
    if "names" in raw:
        names = _names(raw["names"], f"{where}: towns.names")
    else:
        names = [p.name for p in ctx.gazetteer if p.kind in TOWN_KINDS]
    names += _names(raw.get("add", []), f"{where}: towns.add", allow_empty=True)
    places = []
    for name in dict.fromkeys(names):
        place = ctx.gazetteer.get(name, f"{where}: towns")
        if place not in places:
            places.append(place)
    overrides = demand_raw.get("trucks_per_day", {})
    if not isinstance(overrides, Mapping):
        raise SiegeInputError(f"{where}: demand.trucks_per_day", "expected a table of town = trucks/day")
    demand = {p.name: demand_of(p.population, rule) for p in places}
    for name, value in overrides.items():
        place = ctx.gazetteer.get(name, f"{where}: demand.trucks_per_day")
        if place.name not in demand:
            raise SiegeInputError(f"{where}: demand.trucks_per_day.{name}", "not one of the scenario's towns")
        demand[place.name] = _number(
            value, f"{where}: demand.trucks_per_day.{name}", maximum=validation.MAX_TRUCKS_PER_DAY, unit="trucks/day"
        )
    snapped = ctx.snap(places)
    known = bundled.off_network_reasons() if ctx.G.graph.get("schematic") else {}
    return [
        Town(
            s.place.name,
            s.place.kind,
            s.place.population,
            round(demand[s.place.name], 2),
            s.node,
            s.snap_km,
            s.place.lat,
            s.place.lon,
            "" if s.node is not None else _off_reason(s, known, ctx.max_snap_km),
            areas.locate(s.place.lon, s.place.lat),
        )
        for s in snapped
    ]


def _off_reason(s, known: dict[str, str], limit: float) -> str:
    if s.place.name in known:
        return known[s.place.name]
    if not s.place.located:
        return "its position is not known"
    return f"the nearest road node is {s.snap_km:.0f} km away, beyond the {limit:g} km snapping limit"


def _names(value: Any, where: str, *, allow_empty: bool = False) -> list[str]:
    """Place names; a ``{ name, lat, lon[, population] }`` table stands for its name (the place
    itself is read by :func:`_custom_places`)."""
    ok = isinstance(value, list) and all(isinstance(v, str) or (isinstance(v, Mapping) and "name" in v) for v in value)
    if not ok or (not value and not allow_empty):
        raise SiegeInputError(
            where, f"expected a list of place names or {{ name, lat, lon }} tables, got {validation.show(value)}"
        )
    return [v if isinstance(v, str) else str(v["name"]) for v in value]


def _custom_places(raw: Mapping[str, Any], where: str) -> list[Place]:
    """Places the scenario positions itself: ``{ name, lat, lon[, population] }`` tables in the towns
    lists, and ``[[supply]]``/``[[producers]]`` rows with ``name``, ``lat`` and ``lon`` (no ``place``)."""
    found: list[tuple[Mapping[str, Any], str, str]] = []
    towns = raw.get("towns", {})
    if isinstance(towns, Mapping):
        for key in ("names", "add"):
            items = towns.get(key, [])
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, Mapping):
                    found.append((item, f"{where}: towns.{key}[{i}]", "town"))
    for section in ("supply", "producers"):
        rows = raw.get(section)
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, Mapping) and "place" not in row and "name" in row:
                found.append((row, f"{where}: {section}[{i}]", "road_town"))
    places: dict[str, Place] = {}
    for item, at, kind in found:
        allowed = {"name", "lat", "lon", "population"}
        if kind != "town":
            allowed |= {"capacity", "basis", "note", "commodities", "by_commodity"}
        if unknown := sorted(str(k) for k in set(item) - allowed):
            raise SiegeInputError(f"{at}.{unknown[0]}", f"unknown field (expected {', '.join(sorted(allowed))})")
        name = validation.text(item.get("name"), f"{at}.name", limit=validation.MAX_NAME_CHARS)
        lat = validation.number(item.get("lat"), f"{at}.lat", strict=False, minimum=-90, maximum=90)
        lon = validation.number(item.get("lon"), f"{at}.lon", strict=False, minimum=-180, maximum=180)
        population = None
        if "population" in item:
            population = int(_number(item["population"], f"{at}.population", maximum=1e9, unit="people"))
        place = Place(name, kind, lat, lon, population=population, position="scenario")
        if name in places and places[name] != place:
            raise SiegeInputError(f"{at}.name", f"{validation.show(name)} is positioned twice, differently")
        places[name] = place
    return list(places.values())


def _capital(raw: Mapping[str, Any], where: str, towns: list[Town], gazetteer: Gazetteer) -> str | None:
    """``capital = "..."`` (one of the towns), else the town the data marks as capital, else none."""
    if "capital" in raw:
        name = gazetteer.get(_text(raw, "capital", where, limit=validation.MAX_NAME_CHARS), f"{where}: capital").name
        if name not in {t.name for t in towns}:
            raise SiegeInputError(f"{where}: capital", f"{name} is not one of the scenario's towns")
        return name
    return next((t.name for t in towns if t.kind == "capital"), None)


def _thresholds(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise SiegeInputError(f"{where}: thresholds", "expected a [thresholds] table")
    thresholds = dict(settings.STATUS_THRESHOLDS)
    for key, value in raw.items():
        if key not in thresholds:
            raise SiegeInputError(f"{where}: thresholds.{key}", f"unknown threshold (expected {', '.join(thresholds)})")
        if key.endswith("_ratio_above"):  # a ratio to the baseline travel time
            thresholds[key] = validation.number(
                value, f"{where}: thresholds.{key}", minimum=1.0, strict=False, maximum=validation.MAX_FACTOR
            )
        else:  # a served fraction or a survival probability
            thresholds[key] = _number(value, f"{where}: thresholds.{key}", zero=True, maximum=1.0, unit="a fraction")
    return thresholds


def _stock_days(raw: Mapping[str, Any], where: str, base: dict[str, float]) -> dict[str, float]:
    days = dict(base)
    for key, value in raw.items():
        commodity = key.removesuffix("_days")
        if not key.endswith("_days") or commodity not in commodity_names():
            expected = ", ".join(f"{c}_days" for c in commodity_names())
            raise SiegeInputError(f"{where}.{key}", f"unknown stock field (expected {expected})")
        days[commodity] = _number(
            value, f"{where}.{key}", zero=True, maximum=validation.MAX_STOCK_DAYS, unit="a number of days"
        )
    return days


def _stocks(raw: Any, where: str, towns: list[Town], gazetteer: Gazetteer) -> dict[str, dict[str, float]]:
    """Starting stock per town and commodity, in days of demand, where the scenario sets it (``[stocks]``
    for every town, ``[stocks.towns.NAME]`` for one); unset ones come from the commodity table by
    the town's role in the supply chain (see :mod:`siege.supply`)."""
    if not isinstance(raw, Mapping):
        raise SiegeInputError(f"{where}: stocks", "expected a [stocks] table")
    per_town = raw.get("towns", {})
    if not isinstance(per_town, Mapping):
        raise SiegeInputError(f"{where}: stocks.towns", "expected a table of [stocks.towns.TOWN] tables")
    default = _stock_days({k: v for k, v in raw.items() if k != "towns"}, f"{where}: stocks", {})
    stocks = {t.name: dict(default) for t in towns}
    for name, table in per_town.items():
        at = f"{where}: stocks.towns.{name}"
        place = gazetteer.get(name, at)
        if place.name not in stocks:
            raise SiegeInputError(at, "not one of the scenario's towns")
        if not isinstance(table, Mapping):
            raise SiegeInputError(at, "expected a table like {fuel_days = 3}")
        stocks[place.name] = _stock_days(table, at, default)
    return stocks


COST_BASES = ("class", "length", "uniform")


def _interdiction(raw: Any, where: str, ctx: NetworkContext, base: Path, capital_node: int | None) -> dict[str, Any]:
    """``[interdiction]``: ``cost`` basis, ``[[interdiction.costs]]`` with ``ref`` (and optionally
    ``between = [town, town]``) and ``cost``, pricing those segments for the attacker, and ``within``:
    where the attacker acts (see :func:`_reach`)."""
    at = f"{where}: interdiction"
    if not isinstance(raw, Mapping):
        raise SiegeInputError(at, "expected an [interdiction] table")
    unknown = set(raw) - {"cost", "costs", "within"}
    if unknown:
        raise SiegeInputError(f"{at}.{sorted(unknown)[0]}", "unknown field (expected cost, costs, within)")
    basis = raw.get("cost", "class")
    if basis not in COST_BASES:
        raise SiegeInputError(f"{at}.cost", f"expected one of {', '.join(COST_BASES)}, got {validation.show(basis)}")
    overrides = []
    items = raw.get("costs", [])
    if not isinstance(items, list):
        raise SiegeInputError(f"{at}.costs", "expected [[interdiction.costs]] tables")
    for i, item in enumerate(items):
        here = f"{at}.costs[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"ref", "between", "cost"} or "ref" not in item:
            raise SiegeInputError(here, "expected a table with ref, optional between = [town, town], and cost")
        cost = _number(item.get("cost"), f"{here}.cost", maximum=1e9)
        ref = _text(item, "ref", here)
        if "between" in item:
            between = item["between"]
            if not (isinstance(between, list) and len(between) == 2 and all(isinstance(b, str) for b in between)):
                raise SiegeInputError(f"{here}.between", "expected two town names")
            keys = ctx.stretch(between[0], between[1], f"{here}.between", ref=ref)
        else:
            keys = set(ctx.road(ref, f"{here}.ref").edges(keys=True))
        overrides.append((frozenset(keys), float(cost)))
    within, reach = _reach(raw.get("within"), f"{at}.within", ctx, base, capital_node)
    return {"cost": basis, "overrides": overrides, "within": within, "reach": reach}


def _reach(value: Any, at: str, ctx: NetworkContext, base: Path, capital_node: int | None):
    """Where the attacker can act: a lon/lat polygon or a set of segments (edge keys) it may close
    (``None``: anywhere), and that in words. Segments are matched to a polygon only when an analysis
    needs them (:func:`siege.analyses.interdiction.reachable`), so a scenario loads as fast as before.

    ``within`` is a country of the bundled outlines (``"Mali"``), a polygon file (GeoJSON or
    GeoPackage, a control zone's for instance) or a list of roads (``["RN4", "RN3"]``). A segment is
    in a country or polygon when any part of it is (a cross-border road is attacked on its own side).
    Default: the capital's country, else (an extract without a capital) the country most of the
    network lies in; anywhere when the network lies outside every outline.
    """
    from siege.network.borders import country_at, country_shapes

    G = ctx.G
    if value is None:
        if capital_node is not None:
            x, y = G.nodes[capital_node]["x"], G.nodes[capital_node]["y"]
            name, why = country_at(x, y), "the capital's country"
        else:
            import shapely

            step = max(1, len(G) // 2000)  # a sample is enough to find where most of the network lies
            nodes = list(G.nodes(data=True))[::step]
            points = shapely.points([d["x"] for _, d in nodes], [d["y"] for _, d in nodes])
            counts = {c: int(shapely.covers(geom, points).sum()) for c, geom in country_shapes().items()}
            counts = {c: n for c, n in counts.items() if n}
            name, why = (max(counts, key=counts.get) if counts else None), "the network's own country"
        if name is None:
            return None, "anywhere (the network lies outside the bundled country outlines)"
        return country_shapes()[name], f"{name} ({why}, the default)"
    if isinstance(value, list):
        if not value or not all(isinstance(v, str) for v in value):
            raise SiegeInputError(at, 'expected a country ("Mali"), a polygon file or a list of road refs ["RN4"]')
        keys = set()
        for i, ref in enumerate(value):
            keys |= set(ctx.road(ref, f"{at}[{i}]").edges(keys=True))
        return frozenset(keys), "the roads " + ", ".join(value)
    if not isinstance(value, str) or not value.strip():
        raise SiegeInputError(at, 'expected a country ("Mali"), a polygon file or a list of road refs ["RN4"]')
    countries = {n.casefold(): n for n in country_shapes()}
    if value.casefold() in countries:
        name = countries[value.casefold()]
        return country_shapes()[name], name
    if not value.lower().endswith((".geojson", ".json", ".gpkg")):
        known = ", ".join(sorted(country_shapes()))
        raise SiegeInputError(at, f"{value[:60]!r} is no country of the outlines ({known}) and no .geojson/.gpkg file")
    path = Path(value) if Path(value).is_absolute() else base / value
    if not path.is_file():
        raise SiegeInputError(at, f"no such file {path} (expected a GeoJSON or GeoPackage polygon)")
    try:
        import geopandas as gpd

        geom = gpd.read_file(path).to_crs(4326).geometry.union_all()
    except Exception as err:  # pyogrio raises several kinds on a bad file
        raise SiegeInputError(at, f"not a readable polygon file ({err})") from None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise SiegeInputError(at, f"{path.name}: expected polygons in lon/lat")
    return geom, f"the polygon of {path.name}"


def _period_for_stock_events(
    events: list[Event], date: dt.date | None, start: dt.date | None, end: dt.date | None, where: str, notes: list[str]
) -> tuple[dt.date | None, dt.date | None]:
    """A convoy acts on stocks, which only a run through time has: a dated scenario without a period
    is simulated from its earliest convoy to its date (said in a note); an undated one is refused."""
    stocked = [e for e in events if e.ACTS_ON_STOCKS]
    if not stocked or (start is not None and end is not None):
        return start, end
    if date is None:
        raise SiegeInputError(
            f"{where}: events[{stocked[0].index}]",
            f"a {stocked[0].kind} acts on stocks through time: give the scenario a date or a start and end",
        )
    # from the first day anything acts (a blockade that began earlier has drawn stocks down by then)
    dated = [e.start for e in events if e.start is not None] + [
        e.param("arrives") for e in stocked if e.param("arrives") is not None
    ]
    start = min([*dated, date])
    validation.check_period(start, date, f"{where}: events")
    notes.append(
        f"a {stocked[0].kind} acts on stocks through time: simulated from {start} (the first day an event acts) "
        f"to {date}, stocks at their targets on the first day"
    )
    return start, date


def _events(raw: Any, where: str, ctx: NetworkContext) -> list[Event]:
    if not isinstance(raw, list):
        raise SiegeInputError(f"{where}: events", "expected [[events]] tables")
    events = []
    for i, item in enumerate(raw):
        at = f"{where}: events[{i}]"
        if not isinstance(item, Mapping):
            raise SiegeInputError(at, "expected a table")
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in EVENT_KINDS:
            raise SiegeInputError(
                f"{at}.kind", f"unknown event kind {validation.show(kind)} (expected {', '.join(EVENT_KINDS)})"
            )
        events.append(EVENT_KINDS[kind].parse(i, item, at, ctx))
    return events


def _named_commodities(raw: Mapping[str, Any]) -> frozenset[str]:
    """Commodities the scenario's events name (a convoy's ``commodity``, an event's ``commodities``):
    one tracked only on request (relief) is tracked when an event names it."""
    events = raw.get("events", [])
    names: set[str] = set()
    for e in events if isinstance(events, list) else []:
        if isinstance(e, Mapping):
            if isinstance(e.get("commodity"), str):
                names.add(e["commodity"])
            if isinstance(e.get("commodities"), list):
                names |= {c for c in e["commodities"] if isinstance(c, str)}
    return frozenset(names)


def seasonal_events(ctx: NetworkContext, *, first_index: int = 0) -> list[Event]:
    """The bundled network's rainy-season rules (``networks/mali/seasons.csv``) as ``season`` events,
    each with its basis as note."""
    out = []
    path = bundled.data_dir() / "seasons.csv"
    with path.open(newline="", encoding="utf-8") as f:
        for n, r in enumerate(csv.DictReader(f), start=2):
            raw: dict[str, Any] = {
                "kind": "season",
                "months": [r["months_from"], r["months_to"]],
                "effect": "close" if r["effect"] == "close" else {"delay_factor": float(r["delay_factor"])},
                "source": "networks/mali/seasons.csv",
                "note": r["basis"],
            }
            if r.get("mode"):
                raw["mode"] = r["mode"]
            if r["surface"]:
                raw["surface"] = r["surface"]
            else:
                raw.update({"from": r["from"], "to": r["to"], **({"ref": r["ref"]} if r["ref"] else {})})
            out.append(EVENT_KINDS["season"].parse(first_index + len(out), raw, f"{path.name} line {n}", ctx))
    # a road with a rule of its own is not slowed again by the rule for every unpaved road
    named = frozenset().union(*(e.edges for e in out if "surface" not in dict(e.details)))
    return [replace(e, edges=e.edges - named) if "surface" in dict(e.details) else e for e in out]
