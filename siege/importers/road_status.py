"""``siege import road-status``: a Logistics Cluster / WFP road-status layer → a scenario of events.

The layer (GeoJSON, or a GeoPackage whose layers are all read) holds **lines** with a ``status`` in the
layers' vocabulary — ``Open``, ``Restricted``, ``Closed`` — and **obstacle points** with ``obstype``
and ``obsdate``. Rules (stated assumptions, editable in the written scenario):

- a Closed or Restricted line becomes a ``road_status`` event carrying the line itself: the
  network's segments that run along it take the status (see :mod:`siege.scenario.events.road_status`
  for the matching and the effects); an Open line needs no event and is counted. Words other layers use
  for the same: ``Partially open``, ``Limited``, ``Constrained`` → Restricted; ``Impassable``,
  ``Blocked`` → Closed.
- an obstacle becomes an event at its point by its ``obstype`` (:data:`OBSTACLES`): a destroyed or
  washed-out bridge, a cut road, flooding or a roadblock closes the nearest segment (``cut``); a
  checkpoint slows the roads through it (``attack`` with 1.5 × the travel time); a security incident
  is an ``attack`` with risk 0.5 (the bundled scenarios' rule for a dated attack on convoys).
- dates: a line's own date field (``date``, ``status_date``, ``last_update``, ``updated``), an
  obstacle's ``obsdate``, else ``--date``; each status or obstacle holds ``days`` days (default 7: a
  weekly layer's status holds until the next one).
- a feature whose line or point lies on no road of the network is left out and counted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from siege import validation
from siege.errors import SiegeInputError
from siege.importers.common import ImportResult, build_scenario

#: a layer's status words → siege's road_status status (None: open, no event)
STATUS_WORDS = {
    "open": None,
    "restricted": "Restricted",
    "partially open": "Restricted",
    "partially restricted": "Restricted",
    "limited": "Restricted",
    "constrained": "Restricted",
    "closed": "Closed",
    "impassable": "Closed",
    "blocked": "Closed",
}
#: obstacle types (matched as words in ``obstype``, first rule first) → (kind, fields)
OBSTACLES: tuple[tuple[re.Pattern, str, dict[str, Any]], ...] = (
    (re.compile(r"bridge|collaps|washed|flood|cut|trench|destroy|impassable|roadblock|barricade", re.I), "cut", {}),
    (
        re.compile(r"checkpoint|check point|control post|barrier|toll", re.I),
        "attack",
        {"effect": {"delay_factor": 1.5}, "radius_km": 2.0},
    ),
    (
        re.compile(r"security|attack|ambush|ied|mine|armed|incident|clash", re.I),
        "attack",
        {"effect": {"risk": 0.5}, "radius_km": 10.0},
    ),
)
_DATE_FIELDS = ("date", "status_date", "last_update", "updated", "obsdate", "update_date")
_NAME_FIELDS = ("name", "road_name", "road", "ref", "route", "obsname", "location")
_NOTE_FIELDS = ("comment", "comments", "remarks", "description", "notes", "obsdesc")
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class RoadStatusConfig:
    """What to import: the layer file, the day of the layer (for features without a date), the rules."""

    layer: Path
    date: dt.date | None = None
    days: int = DEFAULT_DAYS
    within_km: float | None = None  # matching tolerance (default: the road_status kind's)
    network: str = "mali"
    name: str | None = None
    #: supply points to add (name, trucks/day): needed on an extract none of Mali's gateways is on
    supply: tuple[tuple[str, float], ...] = ()


def import_road_status(
    config: RoadStatusConfig, *, G: nx.MultiDiGraph | None = None, out: str | Path = "."
) -> ImportResult:
    """Read the layer and build the scenario (see the module docstring)."""
    where = str(config.layer)
    features = _read(config.layer)
    dropped: Counter = Counter()
    adjusted: Counter = Counter()
    events: list[tuple[int, dict[str, Any]]] = []
    for n, (props, geom) in enumerate(features, start=1):
        at = f"{where}: feature {n}"
        for event in _events(props, geom, n, config, at, dropped, adjusted):
            events.append((n, event))
    return build_scenario(
        events,
        G=G,
        network=config.network,
        out=out,
        where=where,
        name=config.name or f"Road status from {config.layer.name}",
        description=lambda n: (
            f"{n} event(s) from the road-status layer {config.layer.name}, by siege import road-status "
            "(rules: the module siege.importers.road_status and the README)."
        ),
        source=f"road-status layer {config.layer.name}",
        supply=config.supply,
        read=len(features),
        dropped=dropped,
        adjusted=adjusted,
        unit="feature",
    )


def _read(path: Path) -> list[tuple[dict[str, Any], Any]]:
    """Every feature of every layer, as (properties with lower-case keys, geometry in lon/lat)."""
    import geopandas as gpd
    import pyogrio

    where = str(path)
    if not path.is_file():
        raise SiegeInputError(where, "no such file (expected a road-status layer, GeoJSON or GeoPackage)")
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        frames = [gpd.read_file(path, layer=name) for name in layers]
    except Exception as err:  # pyogrio/GDAL raise their own kinds for every unreadable file
        raise SiegeInputError(where, f"cannot be read as GeoJSON or GeoPackage ({type(err).__name__})") from None
    out = []
    for frame in frames:
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        names = {c: str(c).lower() for c in frame.columns if c != "geometry"}
        for row in frame.itertuples(index=False):
            d = row._asdict()
            props = {names[k]: v for k, v in d.items() if k in names}
            out.append((props, d.get("geometry")))
    return out


def _text(props: dict[str, Any], fields: tuple[str, ...]) -> str:
    import pandas as pd

    for f in fields:
        v = props.get(f)
        if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
            continue  # a column other features fill (GDAL gives the missing ones NaN / NaT)
        if str(v).strip():
            return " ".join(str(v).split())
    return ""


def _day(props: dict[str, Any], config: RoadStatusConfig, at: str) -> dt.date:
    text = _text(props, _DATE_FIELDS)
    if text:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise SiegeInputError(f"{at}: date", f"expected a date YYYY-MM-DD, got {text[:30]!r}") from None
    if config.date is None:
        raise SiegeInputError(f"{at}: date", "no date on the feature (expected obsdate/date, or give --date)")
    return config.date


def _events(props, geom, n: int, config: RoadStatusConfig, at: str, dropped: Counter, adjusted: Counter):
    if geom is None or geom.is_empty:
        dropped["no geometry"] += 1
        return []
    source = f"road-status layer {config.layer.name}, feature {n}" + (
        f" ({_text(props, ('source',))})" if _text(props, ("source",)) else ""
    )
    note = _text(props, _NOTE_FIELDS)
    name = _text(props, _NAME_FIELDS)
    mode = _text(props, ("mode",)).lower()
    if mode and mode not in ("road", "ferry"):
        dropped[f"not a road (mode {mode[:20]})"] += 1  # e.g. a river reach in siege's own degradation layer
        return []
    if geom.geom_type in ("LineString", "MultiLineString"):
        word = _text(props, ("status", "road_status", "condition")).lower()
        if word not in STATUS_WORDS:
            dropped[f"status {word!r} not Open, Restricted or Closed"[:80]] += 1
            return []
        status = STATUS_WORDS[word]
        if status is None:
            dropped["open: no event"] += 1
            return []
        if word not in ("closed", "restricted"):
            adjusted[f"{word!r} read as {status}"] += 1
        start = _day(props, config, at)
        parts = list(geom.geoms) if geom.geom_type == "MultiLineString" else [geom]
        if len(parts) > 1:
            adjusted["a multi-line split into one event per line"] += 1
        out = []
        for part in parts:
            event: dict[str, Any] = {
                "kind": "road_status",
                "name": f"{name or 'road'}: {status}"[: validation.MAX_NAME_CHARS],
                "status": status,
                "line": [[round(x, 6), round(y, 6)] for x, y, *_ in part.coords],
                "start": start,
                "end": start + dt.timedelta(days=config.days - 1),
                "source": source[: validation.MAX_TEXT_CHARS],
            }
            if config.within_km is not None:
                event["within_km"] = config.within_km
            if note:
                event["note"] = note[: validation.MAX_TEXT_CHARS]
            out.append(event)
        return out
    if geom.geom_type == "Point":
        obstype = _text(props, ("obstype", "obstacle_type", "type"))
        if not obstype:
            dropped["a point without obstype"] += 1
            return []
        rule = next(((kind, extra) for pattern, kind, extra in OBSTACLES if pattern.search(obstype)), None)
        if rule is None:
            dropped[f"obstacle type {obstype[:40]!r} not in the table"] += 1
            return []
        kind, extra = rule
        start = _day(props, config, at)
        event = {
            "kind": kind,
            "name": f"{obstype}{' at ' + name if name else ''}"[: validation.MAX_NAME_CHARS],
            "lat": round(geom.y, 6),
            "lon": round(geom.x, 6),
            **{k: (dict(v) if isinstance(v, dict) else v) for k, v in extra.items()},
            "start": start,
            "end": start + dt.timedelta(days=config.days - 1),
            "source": source[: validation.MAX_TEXT_CHARS],
        }
        if kind == "cut":
            event["max_distance_km"] = config.within_km or 5.0
        if note:
            event["note"] = note[: validation.MAX_TEXT_CHARS]
        return [event]
    dropped[f"a {geom.geom_type}, not a line or an obstacle point"] += 1
    return []
