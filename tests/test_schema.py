"""The scenario JSON Schema (scenarios/scenario.schema.json) is generated from the parser's fields,
accepts every bundled scenario and refuses what the parser refuses."""

from __future__ import annotations

import copy
import tomllib

import jsonschema
import pytest

from siege.errors import SiegeInputError
from siege.scenario import scenario_from_dict
from siege.scenario.events import EVENT_KINDS
from siege.scenario.events.base import COMMON_FIELDS
from siege.scenario.model import TOP_FIELDS
from siege.scenario.schema import as_json_document, event_field_types, scenario_schema, schema_text, top_field_types

from .conftest import DATA, REPO

SHIPPED = REPO / "scenarios" / "scenario.schema.json"
SCENARIOS = [*sorted((REPO / "scenarios").glob("*.toml")), DATA / "depot.toml"]


@pytest.fixture(scope="module")
def validator():
    schema = scenario_schema()
    jsonschema.Draft4Validator.check_schema(schema)  # taplo reads draft 4
    return jsonschema.Draft4Validator(schema)


def _doc(path):
    return as_json_document(tomllib.loads(path.read_text(encoding="utf-8")))


def test_the_shipped_schema_is_the_generated_one():
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), (
        "run: siege schema --out scenarios/scenario.schema.json"
    )


def test_every_field_the_parser_reads_has_a_type_in_the_schema():
    declared = set(COMMON_FIELDS).union(*(cls.FIELDS for cls in EVENT_KINDS.values()))
    assert declared <= set(event_field_types())
    assert set(TOP_FIELDS) == set(top_field_types()) == set(scenario_schema()["properties"])
    kinds = {k for v in scenario_schema()["definitions"]["event"]["oneOf"] for k in v["properties"]["kind"]["enum"]}
    assert kinds == set(EVENT_KINDS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_bundled_scenario_validates_against_the_schema(validator, path):
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(_doc(path))]
    assert errors == []
    assert (
        path.read_text(encoding="utf-8").startswith("#:schema ./scenario.schema.json") or path.parent != SHIPPED.parent
    )


def _first_event_of(doc, kind):
    return next(i for i, e in enumerate(doc["events"]) if e["kind"] == kind)


@pytest.mark.parametrize(
    "change",
    [
        ("top", "sorces", ["a report"]),  # misspelt top-level field
        ("event", "radius_kms", 20),  # misspelt field of an attack
        ("event", "trucks", 5),  # a convoy's field on an attack
        ("event", "kind", "raid"),  # no such kind
        ("event", "mode", "rail"),
        ("event", "effect", {"risk": 1.5}),
        ("event", "date", "3 Sept 2025"),
    ],
    ids=lambda c: f"{c[0]}.{c[1]}",
)
def test_a_misspelt_or_wrong_field_is_refused_by_the_schema_and_by_the_parser(validator, change):
    """The two agree: the same edit is refused by the editor's schema and by siege validate."""
    where, field, value = change
    raw = tomllib.loads((REPO / "scenarios" / "nara-rn4-2024.toml").read_text(encoding="utf-8"))
    edited = copy.deepcopy(raw)
    if where == "top":
        edited[field] = value
    else:
        edited["events"][_first_event_of(edited, "attack")][field] = value
    assert list(validator.iter_errors(as_json_document(edited)))
    with pytest.raises(SiegeInputError):
        scenario_from_dict(edited, base=REPO / "scenarios")
    # and the scenario as written passes both
    assert not list(validator.iter_errors(as_json_document(raw)))


def test_each_kind_accepts_exactly_its_own_fields(validator):
    """For every kind, each field of another kind that it does not declare is refused by the schema,
    as the parser refuses it."""
    types = event_field_types()
    for kind, cls in EVENT_KINDS.items():
        own = set(COMMON_FIELDS + cls.FIELDS)
        for field in sorted(set(types) - own):
            doc = {"name": "x", "events": [{"kind": kind, field: "x"}]}
            assert list(validator.iter_errors(doc)), (kind, field)


def test_siege_schema_prints_the_schema(tmp_path):
    from click.testing import CliRunner

    from siege.cli import main

    out = tmp_path / "s.json"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == schema_text()
