"""``siege import acled``: an ACLED export (CSV, ACLED's standard columns) → a scenario of events.

ACLED's data is under ACLED's terms of use: siege never ships it; a planner imports an export of
their own. The rules, each a stated assumption a planner may change in the written scenario:

**Kind and effect** by ``event_type`` / ``sub_event_type`` (:data:`KINDS`). Attacks on people and
convoys on a road make truckers refuse or get hit: an ``attack`` whose ``risk`` is the one the bundled
scenarios give a dated attack on convoys (0.5: one convoy in two hit while it is feared), 0.3 for
abductions and looting (the bundled scenarios' rule for a declared threat). Protests, riots, agreements,
arrests, government advances and other strategic developments are not attacks on supply: left out.

**Where**: ``latitude``/``longitude``; the radius from ``geo_precision`` (ACLED's codebook: 1 the
named place itself, 2 near it or a part of a district, 3 only a larger area is known, its main town is
used): 1 → 10 km (the ``attack`` kind's default), 2 → 25 km, 3 → left out by default (``area="drop"``)
or widened to 50 km (``area="widen"``); counted either way.

**When**: from ``event_date``; an attack keeps acting ``days`` days (default 30, the ``attack`` kind's
default: a road attacked is feared for about a month). Rows whose ``time_precision`` is 2 (the week is
known) or 3 (the month) start on the first day of that week or month and last that much longer.

**Fuel**: a row whose ``notes`` name fuel tankers (tanker, fuel truck, citerne, camion-citerne,
carburant, gasoil, petrol...) acts on fuel only (``commodities = ["fuel"]``): JNIM's 2025 attacks burned
tankers and let other trucks pass.

Every kept row becomes one event with ``source`` = ``ACLED <event_id_cnty>`` and ``note`` = the row's
notes (fatalities first); a row whose event would hit no road of the network is left out and counted.
"""

from __future__ import annotations

import csv
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

#: the columns an export must have
REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "latitude", "longitude", "geo_precision")

#: (event_type, sub_event_type) → (kind, effect); ``None`` leaves the row out, with the reason
KINDS: dict[tuple[str, str], tuple[str, dict[str, float]] | str] = {
    ("Battles", "Armed clash"): ("attack", {"risk": 0.5}),
    ("Battles", "Non-state actor overtakes territory"): ("attack", {"risk": 0.5}),
    ("Battles", "Government regains territory"): "a government advance, not an attack on supply",
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): ("attack", {"risk": 0.5}),
    ("Explosions/Remote violence", "Suicide bomb"): ("attack", {"risk": 0.5}),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): ("attack", {"risk": 0.5}),
    ("Explosions/Remote violence", "Air/drone strike"): ("attack", {"risk": 0.5}),
    ("Explosions/Remote violence", "Grenade"): ("attack", {"risk": 0.5}),
    ("Explosions/Remote violence", "Chemical weapon"): ("attack", {"risk": 0.5}),
    ("Violence against civilians", "Attack"): ("attack", {"risk": 0.5}),
    ("Violence against civilians", "Abduction/forced disappearance"): ("attack", {"risk": 0.3}),
    ("Violence against civilians", "Sexual violence"): "violence not aimed at the roads",
    ("Strategic developments", "Looting/property destruction"): ("attack", {"risk": 0.3}),
}
#: event types left out whatever their sub-event type
DROPPED_TYPES = {
    "Protests": "protests are not attacks on supply",
    "Riots": "riots are not attacks on supply",
    "Strategic developments": "a strategic development, not an attack on supply",
}
#: radius by geo_precision (3: only with area="widen")
RADIUS_KM = {1: 10.0, 2: 25.0, 3: 50.0}
#: words in the notes that name fuel tankers (English and French, as ACLED's notes on Mali use both)
FUEL_WORDS = re.compile(
    r"\b(tankers?|fuel (trucks?|convoys?|tankers?)|oil tankers?|citernes?|camions?-citernes?|carburant|gasoil|"
    r"petrol|gasoline|hydrocarbures?)\b",
    re.IGNORECASE,
)
#: an attack keeps acting this long, days
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class AcledConfig:
    """What to import: the export, filters and rules (see the module docstring)."""

    export: Path
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    types: tuple[str, ...] = ()
    area: str = "drop"  # geo_precision 3 rows: drop or widen
    days: int = DEFAULT_DAYS
    network: str = "mali"
    name: str | None = None
    #: supply points to add (name, trucks/day): needed on an extract none of Mali's gateways is on
    supply: tuple[tuple[str, float], ...] = ()


def import_acled(config: AcledConfig, *, G: nx.MultiDiGraph | None = None, out: str | Path = ".") -> ImportResult:
    """Read the export and build the scenario (``G``: the network, else loaded from ``config.network``;
    ``out``: where the scenario will be written, for its relative network path)."""
    if config.area not in ("drop", "widen"):
        raise SiegeInputError("--area-level", f"expected drop or widen, got {config.area!r}")
    rows = _read(config.export)
    where = str(config.export)
    dropped: Counter = Counter()
    adjusted: Counter = Counter()
    wanted = {t.strip().lower() for t in config.types if t.strip()}
    events: list[tuple[int, dict[str, Any]]] = []
    for line, row in rows:
        try:
            event = _event(row, config, wanted, dropped, adjusted)
        except ValueError as err:
            dropped[f"malformed ({err})"] += 1
            continue
        if event is None:
            continue
        events.append((line, event))
    return build_scenario(
        events,
        G=G,
        network=config.network,
        out=out,
        where=where,
        name=config.name or f"ACLED import of {config.export.name}",
        description=lambda n: (
            f"{n} event(s) from the ACLED export {config.export.name}, by siege import acled "
            "(rules: the module siege.importers.acled and the README). ACLED data is under ACLED's terms of use."
        ),
        source=f"ACLED export {config.export.name} (Armed Conflict Location & Event Data, acleddata.com)",
        supply=config.supply,
        read=len(rows),
        dropped=dropped,
        adjusted=adjusted,
        unit="row",
    )


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    where = str(path)
    if not path.is_file():
        raise SiegeInputError(where, "no such file (expected an ACLED export, CSV)")
    if path.stat().st_size > 500_000_000:
        raise SiegeInputError(where, "file too large (expected an ACLED export of at most 500 MB)")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise SiegeInputError(
                    f"{where}: {missing[0]}", f"missing column (expected ACLED's columns: {', '.join(REQUIRED)}, …)"
                )
            return [(i + 2, row) for i, row in enumerate(reader)]
    except UnicodeDecodeError:
        raise SiegeInputError(where, "not UTF-8 text (expected an ACLED export, CSV)") from None
    except csv.Error as err:
        raise SiegeInputError(where, f"malformed CSV ({err})") from None


def _date(text: str) -> dt.date:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"event_date {text[:30]!r} is not a date")


def _event(
    row: dict[str, str], config: AcledConfig, wanted: set[str], dropped: Counter, adjusted: Counter
) -> dict[str, Any] | None:
    etype, sub = (row.get("event_type") or "").strip(), (row.get("sub_event_type") or "").strip()
    if wanted and etype.lower() not in wanted and sub.lower() not in wanted:
        dropped["not of the --types asked for"] += 1
        return None
    if config.actor:
        actors = " ".join(row.get(c) or "" for c in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2"))
        if config.actor.lower() not in actors.lower():
            dropped[f"no actor matching {config.actor!r}"] += 1
            return None
    day = _date(row.get("event_date", ""))
    if (config.since and day < config.since) or (config.until and day > config.until):
        dropped["outside --since/--until"] += 1
        return None
    rule = KINDS.get((etype, sub))
    if rule is None:
        dropped[DROPPED_TYPES.get(etype, f"no rule for {etype} / {sub}"[:80])] += 1
        return None
    if isinstance(rule, str):
        dropped[rule] += 1
        return None
    kind, effect = rule
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
        precision = int(float(row.get("geo_precision") or 1))
    except (TypeError, ValueError):
        raise ValueError("latitude, longitude or geo_precision is not a number") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude/longitude out of range")
    if precision >= 3:
        if config.area == "drop":
            dropped["area-level location (geo_precision 3)"] += 1
            return None
        adjusted["area-level location widened to 50 km (geo_precision 3)"] += 1
    radius = RADIUS_KM.get(min(max(precision, 1), 3), 10.0)
    start, days = _window(day, row.get("time_precision"), config.days, adjusted)
    notes = " ".join((row.get("notes") or "").split())
    place = (row.get("location") or "").strip() or f"{lat:.3f}, {lon:.3f}"
    event: dict[str, Any] = {
        "kind": kind,
        "name": f"{sub or etype} near {place}"[: validation.MAX_NAME_CHARS],
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "radius_km": radius,
        "start": start,
        "end": start + dt.timedelta(days=days - 1),
        "effect": dict(effect),
        "source": f"ACLED {row['event_id_cnty'].strip()}"[: validation.MAX_NAME_CHARS],
    }
    fatalities = (row.get("fatalities") or "").strip()
    note = (f"{fatalities} fatalities. " if fatalities and fatalities != "0" else "") + notes
    if note:
        event["note"] = note[: validation.MAX_TEXT_CHARS]
    if FUEL_WORDS.search(notes):
        event["commodities"] = ["fuel"]
        adjusted["notes name fuel tankers: fuel only"] += 1
    return event


def _window(day: dt.date, precision: str | None, days: int, adjusted: Counter) -> tuple[dt.date, int]:
    """Start and length: a week- or month-precise date starts on its week's Monday / its month's first."""
    p = (precision or "1").strip()
    if p == "2":
        adjusted["date known to the week: from its Monday, 6 days longer"] += 1
        return day - dt.timedelta(days=day.weekday()), days + 6
    if p == "3":
        adjusted["date known to the month: from its first day, a month longer"] += 1
        return day.replace(day=1), days + 30
    return day, days
