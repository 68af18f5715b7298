"""Commodities as data: what towns need, in which unit, how much they stock, and who carries it.

The table is ``networks/mali/commodities.csv`` (every figure with its source); a scenario may
override any number in ``[commodities.NAME]``. Trucks of every commodity share the roads.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from siege import validation
from siege.errors import SiegeInputError
from siege.network import bundled

#: stock roles of a town in the supply chain
ROLES = ("national_depot", "regional_depot", "retail")
NUMBER_FIELDS = (
    "per_10000_people_per_day",
    "min_per_day",
    *(f"stock_days_{r}" for r in ROLES),
    "reserve_days_national_depot",
)


@dataclass(frozen=True)
class Commodity:
    """One commodity: demand rule (trucks/day per 10,000 people, with a floor), stock days by role,
    and which kinds of supply point carry it (``imports``: ports and border posts; ``producers``:
    producing regions)."""

    name: str
    unit: str
    per_10000_people_per_day: float
    min_per_day: float
    #: the whole country's demand (e.g. fuel: ~120 tankers/day); on the bundled network it is shared
    #: among the towns in proportion to their population (a district capital serves its district)
    national_per_day: float | None
    stock_days: dict[str, float]
    carried_from: frozenset[str]
    basis: str
    #: the state's security reserve at the national depot, in days of its area's demand: held apart
    #: from the commercial stock (``stock_days``) and drawn only while a ``release_reserve`` event acts
    reserve_days_national_depot: float = 0.0
    #: what one truck of it carries, in tonnes (a convoy given in tonnes is this many trucks)
    tonnes_per_truck: float | None = None
    #: tracked in every scenario (fuel, food), or only when a scenario asks for it (relief)
    always: bool = True

    def demand(self, population: int | None, unknown_population: float) -> float:
        """Trucks/day a town of ``population`` needs."""
        people = population if population else unknown_population
        return max(self.min_per_day, people / 10_000 * self.per_10000_people_per_day)


@cache
def default_commodities() -> tuple[Commodity, ...]:
    """The commodity table shipped with the bundled network."""
    path = bundled.data_dir() / "commodities.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        Commodity(
            name=r["commodity"],
            unit=r["unit"],
            per_10000_people_per_day=float(r["per_10000_people_per_day"]),
            min_per_day=float(r["min_per_day"]),
            national_per_day=float(r["national_per_day"]) if r.get("national_per_day") else None,
            stock_days={role: float(r[f"stock_days_{role}"]) for role in ROLES},
            carried_from=frozenset(x.strip() for x in r["carried_from"].split(",")),
            basis=r["basis"],
            reserve_days_national_depot=float(r.get("reserve_days_national_depot") or 0.0),
            tonnes_per_truck=float(r["tonnes_per_truck"]) if r.get("tonnes_per_truck") else None,
            always=r.get("tracked", "always") == "always",
        )
        for r in rows
    )


def commodity_names() -> tuple[str, ...]:
    """Names of the known commodities, in table order."""
    return tuple(c.name for c in default_commodities())


def parse_commodities(raw: Any, where: str, *, requested: frozenset[str] = frozenset()) -> tuple[Commodity, ...]:
    """The commodities a scenario tracks: those tracked always, those it has a ``[commodities.NAME]``
    table for (overriding numbers of the default table) and those its events name (``requested``)."""
    if not isinstance(raw, Mapping):
        raise SiegeInputError(f"{where}: commodities", "expected [commodities.NAME] tables")
    table = {c.name: c for c in default_commodities()}
    wanted = {name for name, c in table.items() if c.always or name in requested or name in raw}
    for name, fields in raw.items():
        at = f"{where}: commodities.{str(name)[:40]}"
        if name not in table:
            raise SiegeInputError(at, f"unknown commodity (expected one of {', '.join(table)})")
        if not isinstance(fields, Mapping):
            raise SiegeInputError(at, "expected a table of numbers")
        c = table[name]
        for key, value in fields.items():
            if key not in NUMBER_FIELDS:
                raise SiegeInputError(f"{at}.{str(key)[:40]}", f"unknown field (expected {', '.join(NUMBER_FIELDS)})")
            x = validation.number(value, f"{at}.{key}", strict=False, maximum=validation.MAX_STOCK_DAYS)
            if key.startswith("stock_days_"):
                c = replace(c, stock_days={**c.stock_days, key.removeprefix("stock_days_"): x})
            else:
                c = replace(c, **{key: x})
        table[name] = c
    return tuple(c for name, c in table.items() if name in wanted)


def parse_commodity_list(value: Any, where: str) -> frozenset[str]:
    """A non-empty list of known commodity names."""
    names = commodity_names()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in names for v in value):
        raise SiegeInputError(
            where, f"expected a list of commodities among {', '.join(names)}, got {validation.show(value)}"
        )
    return frozenset(value)
