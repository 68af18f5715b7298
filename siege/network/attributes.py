"""Edge attributes of the siege schema: ``ref`` lists, surface class, speed, travel time, capacity.

Pure functions that take a graph and return it with attributes set (the osmnx style).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from siege import settings
from siege.errors import SiegeInputError
from siege.network import modes

Table = Mapping[str, Mapping[str, float]]


def parse_ref(value: Any) -> list[str]:
    """OSM ``ref`` value(s) to a list: ``"RN3;RN4"`` → ``["RN3", "RN4"]``; lists are flattened."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    refs: list[str] = []
    for item in items:
        for part in str(item).split(";"):
            part = part.strip()
            if part and part not in refs:
                refs.append(part)
    return refs


#: national-road prefixes that name the same road: "RN 4", "N4", "rn4" all match "RN4"
_NATIONAL_PREFIX = re.compile(r"^(?:RN|N)(?=\d)")


def ref_key(ref: str) -> str:
    """The matching key of a road number: case, spaces, dots and hyphens ignored, and the national
    prefixes ``RN`` and ``N`` taken as one (``"RN 4"``, ``"N4"``, ``"rn-4"`` → ``"N4"``; ``"E 75"`` →
    ``"E75"``). Refs are kept as mapped; only matching uses the key."""
    key = re.sub(r"[\s.\-_]", "", str(ref).upper())
    return _NATIONAL_PREFIX.sub("N", key)


def has_ref(refs: Iterable[str] | None, ref: str) -> bool:
    """Whether a segment carrying ``refs`` is on road ``ref`` (see :func:`ref_key`)."""
    key = ref_key(ref)
    return any(ref_key(r) == key for r in refs or ())


def max_speed_kph(value: Any) -> float | None:
    """The lowest speed limit in an OSM ``maxspeed`` value (km/h; ``mph`` converted), ``None`` when
    it gives no number (``"signals"``, ``"RU:urban"``, ``"none"``)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        for part in str(item or "").split(";"):
            m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", part, re.IGNORECASE)
            if m:
                v = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
                if v > 0:
                    found.append(v)
    return min(found) if found else None


def is_estimated(data: Mapping[str, Any]) -> bool:
    """Whether an edge's length is estimated rather than published (``estimated=yes``: on the bundled
    network, a leg no published distance covers, drawn dashed and flagged in reports)."""
    v = data.get("estimated")
    return v == "yes" or (isinstance(v, list) and "yes" in v)


def highway_values(road_classes: Iterable[str]) -> list[str]:
    """The OSM ``highway`` values of ``road_classes`` and their ``_link`` variants, sorted."""
    return sorted({c for rc in road_classes for c in (rc, f"{rc}_link")})


def road_class(highway: Any) -> str:
    """The road class of an edge: its ``highway`` value without ``_link`` (first one if a list)."""
    if isinstance(highway, (list, tuple)):
        highway = highway[0] if highway else ""
    return str(highway or "").removesuffix("_link")


def surface_class(surface: Any) -> str:
    """``paved``, ``unpaved`` or ``unknown`` for an OSM ``surface`` value (first one if a list)."""
    if isinstance(surface, (list, tuple)):
        classes = {surface_class(s) for s in surface}
        return classes.pop() if len(classes) == 1 else "unknown"
    return settings.SURFACE_CLASSES.get(str(surface or "").strip().lower(), "unknown")


def read_tables(path: str | Path) -> tuple[Table, Table]:
    """Read speed and capacity tables from TOML (sections ``speed_kph`` and ``capacity_trucks_per_day``).

    Each section maps a road class to ``{paved = .., unpaved = .., unknown = ..}``; classes not
    given keep their defaults.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiegeInputError(str(path), "no such file (expected a TOML file of speed/capacity tables)") from None
    except tomllib.TOMLDecodeError as err:
        raise SiegeInputError(str(path), f"not valid TOML ({err})") from None
    unknown = set(data) - {"speed_kph", "capacity_trucks_per_day"}
    if unknown:
        raise SiegeInputError(
            f"{path}, field {sorted(unknown)[0]!r}", "unknown section (expected speed_kph or capacity_trucks_per_day)"
        )
    speeds = _merge_table(path, "speed_kph", settings.SPEED_KPH, data.get("speed_kph", {}))
    capacities = _merge_table(
        path, "capacity_trucks_per_day", settings.CAPACITY_TRUCKS_PER_DAY, data.get("capacity_trucks_per_day", {})
    )
    return speeds, capacities


def _merge_table(path: Path, section: str, default: Table, given: Mapping[str, Any]) -> Table:
    merged = {k: dict(v) for k, v in default.items()}
    for cls, row in given.items():
        if not isinstance(row, Mapping):
            raise SiegeInputError(f"{path}, field {section}.{cls}", "expected a table {paved=, unpaved=, unknown=}")
        for surf, value in row.items():
            if surf not in ("paved", "unpaved", "unknown"):
                raise SiegeInputError(f"{path}, field {section}.{cls}.{surf}", "expected paved, unpaved or unknown")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise SiegeInputError(f"{path}, field {section}.{cls}.{surf}", "expected a positive number")
            merged.setdefault(cls, {}).update({surf: float(value)})
    return merged


def _lookup(table: Table, fallback: Mapping[str, float], cls: str, surf: str) -> float:
    row = table.get(cls, fallback)
    return float(row.get(surf, fallback[surf]))


def add_siege_attributes(
    G: nx.MultiDiGraph,
    *,
    speeds: Table | None = None,
    capacities: Table | None = None,
) -> nx.MultiDiGraph:
    """Set the siege edge schema on ``G`` in place and return it.

    ``ref`` becomes a list, ``surface_class``, ``speed_kph`` (class × surface table, lowered to
    the way's ``maxspeed`` and never above :data:`~siege.settings.TRUCK_MAX_SPEED_KPH`),
    ``travel_time`` (seconds, as osmnx's ``add_edge_travel_times``) and ``capacity`` (trucks/day). Edges need ``length``
    (see :func:`siege.network.validate.check_graph`, which also gives them a ``geometry``).
    """
    speeds = speeds or settings.SPEED_KPH
    capacities = capacities or settings.CAPACITY_TRUCKS_PER_DAY
    # a national extract has a few hundred distinct (class, surface, maxspeed) for 10^5 edges
    looked_up: dict[tuple, tuple[str, float, float]] = {}
    for _, _, data in G.edges(data=True):
        data["ref"] = parse_ref(data.get("ref"))
        mode = modes.edge_mode(data)
        data["mode"] = mode
        data.pop("siege:mode", None)
        payload = data.pop("siege:payload_t", None)
        if payload is not None:
            data["payload_t"] = float(payload[0] if isinstance(payload, list) else payload)
        crossing = data.pop("siege:crossing", None)
        if crossing:
            data["crossing_by"] = crossing[0] if isinstance(crossing, list) else crossing
        key = (mode, *(_hashable_tag(data.get(k)) for k in ("highway", "surface", "maxspeed")))
        found = looked_up.get(key)
        if found is None:
            # a river, ferry or air edge is looked up by its mode, whatever its surface
            cls = road_class(data.get("highway")) if mode == "road" else mode
            surf = surface_class(data.get("surface"))
            speed = _lookup(speeds, settings.FALLBACK_SPEED_KPH, cls, surf)
            limit = max_speed_kph(data.get("maxspeed"))
            if limit is not None and mode == "road":
                speed = min(speed, limit, settings.TRUCK_MAX_SPEED_KPH)
            found = (surf, speed, _lookup(capacities, settings.FALLBACK_CAPACITY_TRUCKS_PER_DAY, cls, surf))
            looked_up[key] = found
        surf, speed, data["capacity"] = found
        data["surface_class"] = surf
        data["speed_kph"] = speed
        if mode == "air":
            data["capacity"] = data.get("payload_t", modes.AIR_PAYLOAD_T_PER_DAY["other"]) / (
                modes.TONNES_PER_TRUCK_EQUIVALENT
            )
        # osmnx's add_edge_travel_times, the same float operations, without a GeoDataFrame of the edges
        length = data["length"]
        if length is None or speed != speed or length != length:
            raise ValueError("Edge 'length' and 'speed_kph' values must be non-null.")
        data["travel_time"] = (length / 1000) / (speed / (60 * 60))
        _mode_time(data)
    return G


def _hashable_tag(value: Any) -> Any:
    """A tag value as a dict key (a list of values as a tuple; anything else by its text)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_hashable_tag(v) for v in value)
    return (type(value).__name__, repr(value))


def _mode_time(data: dict) -> None:
    """A route's hours are hours of truck driving (``CONVOY_DRIVING_HOURS_PER_DAY`` a day): a day's
    sailing counts as a day's driving, and a ferry crossing adds its wait."""
    mode = data["mode"]
    if mode == "river":
        data["travel_time"] *= settings.CONVOY_DRIVING_HOURS_PER_DAY / settings.RIVER_SAILING_HOURS_PER_DAY
    if mode == "ferry" or modes.crosses_by_ferry(data):
        data["travel_time"] += settings.FERRY_WAIT_HOURS * 3600.0


def kept_way(tags: Mapping[str, Any], road_classes: set[str]) -> bool:
    """Whether a way (or edge) of these tags stays in a network of ``road_classes``: a road of one of
    them (or its ``_link``), or a ferry or navigable river whatever the classes (no highway tag)."""
    return (
        road_class(tags.get("highway")) in road_classes
        or modes.way_mode(tags) is not None
        or tags.get("mode") not in (None, "road")
    )


def keep_road_classes(G: nx.MultiDiGraph, road_classes: Iterable[str]) -> nx.MultiDiGraph:
    """Drop road edges whose ``highway`` is not one of ``road_classes`` (or its ``_link``), then lone
    nodes; ferry, river and air edges stay."""
    keep = set(road_classes)
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not kept_way(d, keep)]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G
