"""The package's layers: a lower layer never imports a higher one (network & places → scenario →
solver/supply → analyses → outputs → CLI/serve)."""

from __future__ import annotations

import ast

from .conftest import REPO

LAYERS = {
    "siege.errors": 0,
    "siege.settings": 0,
    "siege.validation": 0,
    "siege.io": 0,
    "siege.places": 0,
    "siege.network": 0,
    "siege.scenario": 1,
    "siege.solver": 2,
    "siege.supply": 2,
    "siege.analyses": 3,
    "siege.importers": 3,
    "siege.outputs": 4,
    "siege.cli": 5,
    "siege.serve": 5,
    "siege.serve_guard": 5,
    "siege.__main__": 5,
}


def layer(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYERS:
            return LAYERS[".".join(parts[:n])]
    return None


def test_no_module_imports_a_higher_layer():
    wrong = []
    for path in sorted((REPO / "siege").rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        own = layer(module)
        if own is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                theirs = layer(name)
                if theirs is not None and theirs > own:
                    wrong.append(f"{module} imports {name}")
    assert not wrong, wrong
