"""Who supplies whom, per commodity: the supply chain as data.

Each rule is a row ``commodity, town, role, supplied_by`` (``town = "*"``: every town without a row of
its own). ``role`` is what the town holds (``national_depot``, ``regional_depot``, ``retail``: the
stock days of ``commodities.csv``); ``supplied_by`` is where its daily supply comes from:

- ``supply_points``: straight from the gateways (and producing regions) carrying the commodity;
- ``nearest_depot``: the nearest depot of the commodity by road hours;
- ``auto``: a depot's rule: the supply points, or the national depot when its fastest route from them
  runs through the capital;
- a town's name: that town's depot.

The bundled network's rules are ``networks/mali/supply_chain.csv``; a scenario adds or replaces rows
with ``[[supply_chain]]`` tables. With no rule (an OSM extract), the capital is the national depot, the
regional capitals are regional depots (``auto``) and every other town draws on its nearest depot.
Whatever a town's rule, when its supplier fails it draws on the other depots of the commodity and on the
supply points directly (:mod:`siege.supply.chain`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from siege import validation
from siege.errors import SiegeInputError
from siege.network import bundled
from siege.places import Gazetteer
from siege.scenario.commodities import ROLES, commodity_names

SUPPLIERS = ("supply_points", "nearest_depot", "auto")
ANY_TOWN = "*"


@dataclass(frozen=True)
class ChainRule:
    """One row of the supply chain: a town's role for a commodity and where it draws its supply."""

    commodity: str
    town: str  # a town's name, or "*"
    role: str
    supplied_by: str  # one of SUPPLIERS, or a town's name
    basis: str = ""


def default_rules() -> list[ChainRule]:
    """The bundled network's supply chain (``networks/mali/supply_chain.csv``)."""
    with (bundled.data_dir() / "supply_chain.csv").open(newline="", encoding="utf-8") as f:
        return [
            ChainRule(r["commodity"], r["town"], r["role"], r["supplied_by"], r["basis"]) for r in csv.DictReader(f)
        ]


def default_role(town, capital: str | None) -> str:
    """A town's role without a rule: the capital the national depot, a regional capital a regional
    depot, any other town retail."""
    if town.name == capital:
        return "national_depot"
    return "regional_depot" if town.kind in ("capital", "regional_capital") else "retail"


def parse_rules(
    raw: Any, where: str, towns: list, capital: str | None, gazetteer: Gazetteer, *, bundled_rules: bool
) -> list[ChainRule]:
    """The bundled rules (on the bundled network) with the scenario's ``[[supply_chain]]`` rows on top:
    a row replaces the rule of the same commodity and town. A town named as a supplier must be a depot
    of that commodity."""
    rules = default_rules() if bundled_rules else []
    if raw is None:
        return rules
    by_name = {t.name: t for t in towns}
    if not isinstance(raw, list):
        raise SiegeInputError(
            f"{where}: supply_chain",
            'expected [[supply_chain]] tables like {commodity = "fuel", town = "Kayes", role = "regional_depot"}',
        )
    own: dict[tuple[str, str], ChainRule] = {}
    for i, row in enumerate(raw):
        at = f"{where}: supply_chain[{i}]"
        if not isinstance(row, Mapping):
            raise SiegeInputError(at, "expected a table with commodity, town, role and supplied_by")
        unknown = [k for k in row if k not in ("commodity", "town", "role", "supplied_by", "basis")]
        if unknown:
            raise SiegeInputError(
                f"{at}.{unknown[0]}", "unknown field (expected commodity, town, role, supplied_by, basis)"
            )
        commodity = row.get("commodity")
        if commodity not in commodity_names():
            raise SiegeInputError(
                f"{at}.commodity", f"expected one of {', '.join(commodity_names())}, got {validation.show(commodity)}"
            )
        town = validation.text(row.get("town"), f"{at}.town", limit=validation.MAX_NAME_CHARS)
        if town != ANY_TOWN:
            town = gazetteer.get(town, f"{at}.town").name
            if town not in by_name:
                raise SiegeInputError(f"{at}.town", f"{town} is not one of the scenario's towns")
        role = row.get("role", "retail")
        if role not in ROLES:
            raise SiegeInputError(f"{at}.role", f"expected one of {', '.join(ROLES)}, got {role!r}")
        supplied_by = validation.text(
            row.get("supplied_by", "auto" if role != "retail" else "nearest_depot"),
            f"{at}.supplied_by",
            limit=validation.MAX_NAME_CHARS,
        )
        if supplied_by not in SUPPLIERS:
            supplied_by = gazetteer.get(supplied_by, f"{at}.supplied_by").name
            if supplied_by not in by_name or supplied_by == town:
                raise SiegeInputError(
                    f"{at}.supplied_by", f"expected {', '.join(SUPPLIERS)} or another of the scenario's towns"
                )
        basis = validation.text(row.get("basis", "set by the scenario"), f"{at}.basis", required=False)
        own[(commodity, town)] = ChainRule(commodity, town, role, supplied_by, basis or "set by the scenario")
    merged = [*(r for r in rules if (r.commodity, r.town) not in own), *own.values()]
    for (commodity, town), r in own.items():
        if r.supplied_by in by_name:
            theirs = rule_for(merged, commodity, r.supplied_by)
            role = theirs.role if theirs else default_role(by_name[r.supplied_by], capital)
            if role == "retail":
                raise SiegeInputError(
                    f"{where}: supply_chain ({commodity}, {town}).supplied_by",
                    f"{r.supplied_by} holds no {commodity} depot (expected a town whose role is a depot)",
                )
    return merged


def rule_for(rules: list[ChainRule], commodity: str, town: str) -> ChainRule | None:
    """The rule of a town for a commodity: its own row, else the commodity's ``*`` row, else none."""
    found = None
    for r in rules:
        if r.commodity == commodity and r.town == town:
            return r
        if r.commodity == commodity and r.town == ANY_TOWN:
            found = r
    return found
