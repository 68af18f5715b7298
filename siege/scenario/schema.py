"""A JSON Schema of the scenario format, for editors (taplo / Even Better TOML) to complete and check
scenarios as they are typed. Shipped as ``scenarios/scenario.schema.json``; ``siege schema`` writes it.

It is generated from what the parser itself reads, so the two stay in step: the top-level fields are
:data:`~siege.scenario.model.TOP_FIELDS`, each event kind's fields are the common ones plus the fields
its class declares (``Event.FIELDS``), kinds come from the registry ``EVENT_KINDS``, and the lists of
allowed values (commodities, modes, policies, roles, thresholds, effect fields) from the modules that
check them. Only each field's *type* is written here (:data:`EVENT_FIELD_TYPES`,
:data:`TOP_FIELD_TYPES`); a test fails when a declared field has none.

JSON Schema draft 4 only (taplo's level): kinds are told apart by ``oneOf`` over ``"kind": {"enum": [...]}``,
and TOML dates are matched as text (``2025-09-03`` or ``"2023-12"``). The schema checks the shape; only
``siege validate`` checks places, roads and dates against the network.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from siege import settings, validation

#: TOML dates: a local date, or text for a month or year (``"2023-12"``, ``"2024"``)
DATE = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$", "description": "YYYY-MM-DD, or YYYY-MM / YYYY"}
TEXT = {"type": "string"}
NAME = {"type": "string", "maxLength": validation.MAX_NAME_CHARS, "description": "a place name of the gazetteer"}
NAMES = {"type": "array", "items": NAME, "minItems": 1}
POSITIVE = {"type": "number", "exclusiveMinimum": True, "minimum": 0}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}


def _number_or_range(minimum: float, maximum: float) -> dict[str, Any]:
    one = {"type": "number", "minimum": minimum, "maximum": maximum}
    return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": 2}]}


def _effect() -> dict[str, Any]:
    from siege.scenario.effects import EFFECT_FIELDS

    ranges = {
        "capacity_factor": _number_or_range(0, 1),
        "delay_factor": _number_or_range(1, validation.MAX_FACTOR),
        "risk": _number_or_range(0, 1),
        "capacity_trucks_per_day": _number_or_range(0, validation.MAX_TRUCKS_PER_DAY),
    }
    return {
        "description": '"close", or a table of capacity_factor, delay_factor, risk (a number or a range [low, high])',
        "oneOf": [
            {"enum": ["close"]},
            {
                "type": "object",
                "properties": {k: ranges[k] for k in EFFECT_FIELDS},
                "additionalProperties": False,
                "minProperties": 1,
            },
        ],
    }


def _commodities() -> list[str]:
    from siege.scenario.commodities import commodity_names

    return list(commodity_names())


def event_field_types() -> dict[str, dict[str, Any]]:
    """The type of every event field, common or of a kind (the same name means the same thing)."""
    from siege.network.modes import MODES

    pair = {"type": "array", "items": NAME, "minItems": 2, "maxItems": 2}
    return {
        "kind": {"type": "string"},
        "name": {"type": "string", "maxLength": validation.MAX_NAME_CHARS, "description": "label for reports"},
        "date": DATE,
        "start": DATE,
        "end": DATE,
        "duration_days": {"type": "number", "minimum": 1, "maximum": validation.MAX_DAYS},
        "effect": _effect(),
        "source": TEXT,
        "note": TEXT,
        "probability": SHARE,
        "every_days": {"type": "integer", "minimum": 1, "maximum": validation.MAX_DAYS},
        "lasts_days": {"type": "integer", "minimum": 1, "maximum": validation.MAX_DAYS},
        "rate_per_week": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 7},
        "commodities": {"type": "array", "items": {"enum": _commodities()}, "minItems": 1},
        "mode": {"enum": list(MODES)},
        # the kinds' own fields
        "place": NAME,
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "radius_km": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": validation.MAX_RADIUS_KM},
        "max_distance_km": {
            "type": "number",
            "exclusiveMinimum": True,
            "minimum": 0,
            "maximum": validation.MAX_RADIUS_KM,
        },
        "between": pair,
        "ref": {"type": "string", "description": "road reference, e.g. RN4"},
        "from": NAME,
        "to": NAME,
        "segments": {"type": "array", "items": pair, "minItems": 1, "description": "[[town, town], ...]"},
        "polygon": {"type": "object", "description": "a GeoJSON Polygon or MultiPolygon (lon, lat)"},
        "polygon_file": {"type": "string", "description": "a GeoJSON file, relative to the scenario"},
        "towns": NAMES,
        "trucks": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": validation.MAX_TRUCKS_PER_DAY},
        "tonnes": POSITIVE,
        "commodity": {"enum": _commodities()},
        "escorted": {"type": "boolean"},
        "arrives": DATE,
        "bridge": {"type": "boolean"},
        "capacity_trucks_per_day": {"type": "number", "minimum": 0, "maximum": validation.MAX_TRUCKS_PER_DAY},
        "risk_factor": SHARE,
        "demand_factor": SHARE,
        "months": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^\d{2}-\d{2}$"},
            "minItems": 2,
            "maxItems": 2,
            "description": 'the yearly window, e.g. ["06-15", "10-31"]',
        },
        "surface": {"enum": ["unpaved"]},
        "status": {"enum": ["Closed", "Restricted", "closed", "restricted"]},
        "line": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "minItems": 2,
            "description": "[[lon, lat], ...]",
        },
        "within_km": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": validation.MAX_RADIUS_KM},
    }


def top_field_types() -> dict[str, dict[str, Any]]:
    """The type of every top-level field of a scenario."""
    from siege.scenario.commodities import NUMBER_FIELDS, ROLES

    numbers = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}
    supply_row = {
        "type": "object",
        "properties": {
            "place": NAME,
            "name": NAME,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "capacity": {"type": "number", "minimum": 0},
            "basis": TEXT,
            "note": TEXT,
            "commodities": {"type": "array", "items": {"enum": _commodities()}},
            "by_commodity": numbers,
            "population": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }
    own_town = {
        "type": "object",
        "properties": {
            "name": NAME,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "population": {"type": "integer", "minimum": 0},
        },
        "required": ["name", "lat", "lon"],
        "additionalProperties": False,
    }
    town_list = {"type": "array", "items": {"oneOf": [NAME, own_town]}}
    stock_days = {f"{c}_days": {"type": "number", "minimum": 0} for c in _commodities()}
    return {
        "name": {"type": "string", "maxLength": validation.MAX_NAME_CHARS},
        "description": TEXT,
        "sources": {"type": "array", "items": TEXT},
        "date": DATE,
        "start": DATE,
        "end": DATE,
        "network": {"type": "string", "description": "'mali' (bundled), an OSM file or a .graphml"},
        "supply": {"type": "array", "items": supply_row},
        "producers": {"type": "array", "items": supply_row},
        "replace_default_supply": {"type": "boolean"},
        "towns": {
            "type": "object",
            "properties": {"names": town_list, "add": town_list},
            "additionalProperties": False,
        },
        "demand": {
            "type": "object",
            "properties": {
                "trucks_per_10000_people": {"type": "number", "minimum": 0},
                "unknown_population": {"type": "number", "minimum": 0},
                "trucks_per_day": numbers,
                **{c: numbers for c in _commodities()},
            },
            "additionalProperties": False,
        },
        "thresholds": {
            "type": "object",
            "properties": {k: {"type": "number", "minimum": 0} for k in settings.STATUS_THRESHOLDS},
            "additionalProperties": False,
        },
        "interdiction": {
            "type": "object",
            "properties": {
                "cost": {"enum": ["class", "length", "uniform"]},
                "costs": {"type": "array", "items": {"type": "object"}},
                "within": {
                    "description": 'where the attacker acts: a country ("Mali"), a polygon file or a list of road refs',
                    "oneOf": [TEXT, {"type": "array", "items": TEXT, "minItems": 1}],
                },
            },
            "additionalProperties": False,
        },
        "stocks": {
            "type": "object",
            "properties": {
                **stock_days,
                "towns": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "properties": stock_days, "additionalProperties": False},
                },
            },
            "additionalProperties": False,
        },
        "events": {"type": "array", "items": {"$ref": "#/definitions/event"}},
        "commodities": {
            "type": "object",
            "properties": {
                c: {
                    "type": "object",
                    "properties": {k: {"type": "number", "minimum": 0} for k in NUMBER_FIELDS},
                    "additionalProperties": False,
                }
                for c in _commodities()
            },
            "additionalProperties": False,
        },
        "allocation": {
            "type": "object",
            "properties": {
                "policy": {"enum": list(settings.ALLOCATION_POLICIES)},
                "priority": {"type": "array", "items": NAME},
            },
            "additionalProperties": False,
        },
        "capital": NAME,
        "corridor_shares": {
            "type": "object",
            "properties": {c: {"type": "object", "additionalProperties": SHARE} for c in _commodities()},
            "additionalProperties": False,
        },
        "supply_chain": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "commodity": {"enum": _commodities()},
                    "town": NAME,
                    "role": {"enum": list(ROLES)},
                    "supplied_by": TEXT,
                    "basis": TEXT,
                },
                "required": ["commodity", "town"],
                "additionalProperties": False,
            },
        },
        "seasons": {"type": "boolean", "description": "add the bundled network's rainy seasons and low water"},
        "admin": {"type": "string", "description": "GeoJSON/GeoPackage of admin-2 polygons with P-codes"},
    }


def _event_variants() -> list[dict[str, Any]]:
    """One schema per event class: its kinds, and exactly the fields the parser accepts for it."""
    from siege.scenario.events import EVENT_KINDS
    from siege.scenario.events.base import COMMON_FIELDS

    types = event_field_types()
    by_class: dict[type, list[str]] = {}
    for kind, cls in EVENT_KINDS.items():
        by_class.setdefault(cls, []).append(kind)
    variants = []
    for cls, kinds in by_class.items():
        fields = [f for f in COMMON_FIELDS + cls.FIELDS if f != "mode" or cls.TAKES_MODE]
        fields = [f for f in fields if f != "effect" or cls.TAKES_EFFECT]
        props = {f: types[f] for f in fields}
        props["kind"] = {"enum": kinds}
        doc = (sys.modules[cls.__module__].__doc__ or "").strip().split("\n")[0].replace("``", "")
        variants.append(
            {
                "title": " / ".join(kinds),
                "description": doc,
                "type": "object",
                "properties": props,
                "required": ["kind"],
                "additionalProperties": False,
            }
        )
    return variants


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 4) of a scenario TOML file."""
    from siege.scenario.model import TOP_FIELDS

    types = top_field_types()
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "siege scenario",
        "description": "A what-if scenario of siege (see scenarios/README.md). Generated by `siege schema`; "
        "do not edit by hand.",
        "type": "object",
        "properties": {f: types[f] for f in TOP_FIELDS},
        "required": ["name"],
        "additionalProperties": False,
        "definitions": {"event": {"oneOf": _event_variants()}},
    }


def schema_text() -> str:
    """The schema as the shipped file's text (two-space indents, a final newline)."""
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"


def as_json_document(value: Any) -> Any:
    """A parsed TOML scenario as the JSON document the schema describes (dates as ISO text)."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: as_json_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_document(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value
