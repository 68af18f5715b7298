"""Fuzzing: the bundled scenarios and a small OSM file, mutated a few hundred ways each run.

Whatever the mutation, siege must end in a result or in one clear line (exit 2) with nothing
written, never a traceback, a hang or code run from the input; and ``validate`` must accept exactly
what ``run`` accepts. The mutations are drawn from ``SIEGE_FUZZ_SEED`` (default 0, so CI is
reproducible; set another seed to explore): a failure message names the seed and the mutation.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from siege.errors import SiegeInputError

from .conftest import DATA, REPO
from .test_hostile_inputs import cli

SEED = int(os.environ.get("SIEGE_FUZZ_SEED", "0"))
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.toml"))
#: CPU seconds any one mutated input may take, end to end (CPU time of this process: load does not inflate it)
BOUND_S = 30.0

HOSTILE: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    -1,
    0,
    0.5,
    1e300,
    10**400,
    -(10**30),
    2**63,
    True,
    "",
    "  ",
    "x {{7*7}}",
    "{% for i in range(3) %}Zq9{% endfor %}",
    "Plan A {{ draft",
    "<script>alert(1)</script>",
    "$x^2$ \\frac",
    "0000-05",
    "2024-13",
    "2024-02-30",
    "9999-12-31",
    "2025-10",
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
    dt.date(2025, 10, 1),
    [],
    {},
    [1, 2, 3],
    [[[[1]]]],
    {"a": {"b": 1}},
    ["Bamako", "Nara"],
    "Bamako",
    "Nara",
    "RN4",
    "close",
    "N" * 50_000,
    "Ségou\x00",
    "é" * 300,
    [0.2, 0.1],
    [0.1, 0.9],
]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a parsed TOML tree (tables and lists), the root excluded."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for key in path:
        node = node[key]
    return node


def mutate(raw: dict, rng: random.Random) -> tuple[dict, str]:
    """One to three random edits of a scenario: replace, delete, add an unknown field, duplicate."""
    raw = copy.deepcopy(raw)
    what = []
    for _ in range(rng.randint(1, 3)):
        paths = _paths(raw)
        if not paths:
            break
        path = rng.choice(paths)
        parent, key = _get(raw, path[:-1]), path[-1]
        op = rng.random()
        if op < 0.6:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
            what.append(f"set {'.'.join(map(str, path))} = {str(parent[key])[:40]!r}")
        elif op < 0.75:
            del parent[key]
            what.append(f"delete {'.'.join(map(str, path))}")
        elif op < 0.85 and isinstance(parent, dict):
            parent[f"unknown_{rng.randint(0, 9)}"] = rng.choice(HOSTILE)
            what.append(f"add a field beside {'.'.join(map(str, path))}")
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
            what.append(f"duplicate {'.'.join(map(str, path))}")
        else:
            parent[key] = [parent[key]]
            what.append(f"wrap {'.'.join(map(str, path))} in a list")
    return raw, "; ".join(what)


def _toml(raw: dict) -> str | None:
    try:
        return tomli_w.dumps(raw)
    except (TypeError, ValueError, OverflowError):  # e.g. a list mixing tables and values
        return None


@pytest.fixture(scope="module")
def network():
    from siege import load_network

    return load_network()


def _bases() -> list[tuple[Path, dict]]:
    return [(p, tomllib.loads(p.read_text(encoding="utf-8"))) for p in SCENARIO_FILES]


def test_mutated_scenarios_validate_exactly_what_runs(network, tmp_path):
    """~300 mutations through the Python API: validation passes or raises SiegeInputError; what
    passes runs (isolation, and the run through time when the scenario has a period) without error."""
    from siege.analyses.isolation import run
    from siege.outputs.map import map_html
    from siege.outputs.run import report_markdown
    from siege.scenario import scenario_from_dict
    from siege.supply import simulate_period

    rng = random.Random(SEED)
    bases = _bases()
    accepted = refused = 0
    for i in range(300):
        path, base = rng.choice(bases)
        raw, what = mutate(base, rng)
        label = f"seed {SEED}, case {i}, {path.name}: {what}"
        t = time.process_time()
        try:
            scenario = scenario_from_dict(raw, where=path.name, base=path.parent, network=network)
        except SiegeInputError as err:
            refused += 1
            assert "\n" not in str(err) and len(str(err)) < 1000, label
            continue
        except Exception as err:  # pragma: no cover - the failure being looked for
            pytest.fail(f"traceback in validation ({type(err).__name__}: {err}) — {label}")
        accepted += 1
        try:
            result = run(scenario, with_chokepoints=i % 4 == 0)
            simulate_period(scenario)
            if i % 5 == 0:  # the text outputs take input text: no template, no raw HTML
                report_markdown(result)
                page = map_html(result)
                assert "Zq9Zq9" not in page, label
        except Exception as err:
            pytest.fail(f"validated, then the run failed ({type(err).__name__}: {err}) — {label}")
        assert time.process_time() - t < BOUND_S, f"too slow — {label}"
    print(f"scenario mutations: {accepted} accepted and run, {refused} refused")
    assert accepted > 30 and refused > 30, (accepted, refused)  # the mutations reach both sides


def test_mutated_scenario_files_through_the_cli(tmp_path):
    """~40 mutated files through ``siege run``: exit 0 with every output, or exit 2 with one line and
    nothing written."""
    rng = random.Random(SEED + 1)
    bases = _bases()
    done = 0
    while done < 40:
        path, base = rng.choice(bases)
        raw, what = mutate(base, rng)
        text = _toml(raw)
        if text is None:
            continue
        done += 1
        case = tmp_path / f"case{done}"
        case.mkdir()
        file = case / path.name
        file.write_text(text, encoding="utf-8")
        out = case / "out"
        label = f"seed {SEED + 1}, file case {done}, {path.name}: {what}"
        t = time.process_time()
        code, _, err, escaped = cli("run", file, "--out", out)
        assert escaped is None, f"traceback {escaped!r} — {label}"
        assert code in (0, 2), f"exit {code}: {err} — {label}"
        if code == 2:
            assert len(err.strip().splitlines()) == 1, f"{err} — {label}"
            assert sorted(p.name for p in case.iterdir()) == [path.name], f"output left on failure — {label}"
        else:
            assert (out / "map.html").exists() and (out / "report.md").exists(), label
        assert file.read_text(encoding="utf-8") == text, f"input modified — {label}"
        assert time.process_time() - t < BOUND_S, f"too slow — {label}"


OSM_EDITS = [
    ("drop a line", lambda lines, rng: lines.pop(rng.randrange(len(lines)))),
    ("duplicate a line", lambda lines, rng: lines.insert(rng.randrange(len(lines)), rng.choice(lines))),
    ("cut the file", lambda lines, rng: lines.__delitem__(slice(rng.randrange(1, len(lines)), None))),
    (
        "insert a tag anywhere",
        lambda lines, rng: lines.insert(rng.randrange(len(lines)), '<tag k="highway" v="primary"/>'),
    ),
    ("insert an nd anywhere", lambda lines, rng: lines.insert(rng.randrange(len(lines)), '<nd ref="-3"/>')),
    (
        "hostile name",
        lambda lines, rng: lines.insert(
            rng.randrange(len(lines)), '<tag k="name" v="{{7*7}} &lt;script&gt;x&lt;/script&gt;"/>'
        ),
    ),
]
VALUE_EDITS = ['lat="999"', 'lon="-400"', 'lat="nan"', 'lat="abc"', 'ref="1e400"', 'v="RN4;;;RN3"', 'id="x"']


def test_mutated_osm_files_load_or_fail_cleanly(tmp_path):
    """~120 mutations of a small OSM file: a graph that passes the network checks, or one clear error."""
    import re

    from siege import load_network
    from siege.network.validate import check_graph

    rng = random.Random(SEED + 2)
    lines0 = (DATA / "tiny.osm").read_text(encoding="utf-8").splitlines()
    loaded = failed = 0
    for i in range(120):
        lines = list(lines0)
        what = []
        for _ in range(rng.randint(1, 3)):
            if len(lines) < 3:
                break
            if rng.random() < 0.6:
                name, edit = rng.choice(OSM_EDITS)
                edit(lines, rng)
            else:
                j = rng.randrange(len(lines))
                name = f"value {rng.choice(VALUE_EDITS)}"
                lines[j] = re.sub(r'\b(lat|lon|ref|v|id)="[^"]*"', name.split(" ", 1)[1], lines[j], count=1)
            what.append(name)
        path = tmp_path / f"m{i}.osm"
        path.write_text("\n".join(lines), encoding="utf-8")
        label = f"seed {SEED + 2}, osm case {i}: {', '.join(what)}"
        t = time.process_time()
        try:
            G = load_network(path)
        except SiegeInputError as err:
            failed += 1
            assert "\n" not in str(err), label
            continue
        except Exception as err:
            pytest.fail(f"traceback ({type(err).__name__}: {err}) — {label}")
        loaded += 1
        check_graph(G, str(path))
        assert time.process_time() - t < BOUND_S, label
    print(f"OSM mutations: {loaded} loaded, {failed} refused")
    assert loaded > 10 and failed > 10, (loaded, failed)
