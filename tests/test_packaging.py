"""Every subpackage of siege is declared in pyproject.toml, so a wheel install has all of it."""

from __future__ import annotations

import tomllib

from .conftest import REPO


def test_every_package_is_listed():
    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "siege").rglob("__init__.py")}
    assert found <= declared
