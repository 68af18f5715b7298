"""``convoy``: a one-off column of trucks — it leaves ``from`` on ``date`` and arrives at ``to`` after
its travel time, less what the threats on its route stop.

Fields: ``from``, ``to`` (places on the network), ``date`` (the day it leaves) or ``arrives`` (the day
it was reported arriving: it then left its travel time earlier), ``trucks`` (how many leave) or
``tonnes`` (its cargo: that many tonnes in the commodity's trucks, ``tonnes_per_truck`` of
``commodities.csv``),
``commodity`` (one commodity), ``escorted`` (default true: the risks met are multiplied by the escort
factor, ``siege/settings.py`` ``ESCORT_RISK_FACTOR``), ``mode`` (``road``, default; ``river``: boats
between ports; ``air``: an airlift between airports, that lands at most the smaller airport's payload a
day, so a large airlift arrives over several days). Deliveries are a pulse into the destination's
stock; the threats met are those acting on the day it leaves; a closed airport, a closed reach or a
river out of its season stops it from leaving.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege import validation
from siege.errors import SiegeInputError
from siege.scenario.commodities import commodity_names, default_commodities
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.dates import parse_date
from siege.scenario.events.base import Event, Fields


class Convoy(Event):
    KIND: ClassVar[str] = "convoy"
    SELECTS_BY_MODE: ClassVar[bool] = False  # it travels on its mode's network: see convoy_arrivals
    FIELDS: ClassVar[tuple[str, ...]] = ("from", "to", "trucks", "tonnes", "commodity", "escorted", "arrives")
    NEEDS_SEGMENTS: ClassVar[bool] = False
    DEGRADES: ClassVar[bool] = False
    TAKES_EFFECT: ClassVar[bool] = False
    ACTS_ON_STOCKS: ClassVar[bool] = True

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        if f.has("date") == f.has("arrives") or f.has("start") or f.has("end"):
            raise SiegeInputError(f.at("date"), "a convoy needs either date (the day it leaves) or arrives")
        arrives = parse_date(f.raw["arrives"], f.at("arrives")) if f.has("arrives") else None
        mode = f.mode()
        if mode == "ferry":
            raise SiegeInputError(f.at("mode"), "expected road, river or air (a ferry is part of a road route)")
        try:
            on = ctx.for_mode(mode)
        except SiegeInputError as err:
            raise SiegeInputError(f.at("mode"), err.problem) from None
        origin = ctx.gazetteer.get(f.text("from"), f.at("from"))
        dest = ctx.gazetteer.get(f.text("to"), f.at("to"))
        # by air or river it leaves from an airport or port: the place must be on that network
        nodes = (on.node_of(origin.name, f.at("from")), on.node_of(dest.name, f.at("to")))
        if nodes[0] == nodes[1]:
            raise SiegeInputError(f.at("to"), "a convoy goes somewhere else than where it leaves")
        commodity = f.text("commodity")
        if commodity not in commodity_names():
            raise SiegeInputError(f.at("commodity"), f"expected one of {', '.join(commodity_names())}")
        if f.has("trucks") == f.has("tonnes"):
            raise SiegeInputError(f.at("trucks"), "a convoy needs either trucks or tonnes")
        load = next(c.tonnes_per_truck for c in default_commodities() if c.name == commodity)
        if f.has("tonnes"):
            if not load:
                raise SiegeInputError(f.at("tonnes"), f"no truck load is known for {commodity}: give trucks")
            tonnes = f.number("tonnes", maximum=validation.MAX_TRUCKS_PER_DAY * load)
            trucks = tonnes / load
        else:
            trucks = validation.number(f.raw.get("trucks"), f.at("trucks"), maximum=validation.MAX_TRUCKS_PER_DAY)
        escorted = f.raw.get("escorted", True)
        if not isinstance(escorted, bool):
            raise SiegeInputError(f.at("escorted"), f"expected true or false, got {validation.show(escorted)}")
        params = {
            "from": origin.name,
            "to": dest.name,
            "nodes": nodes,
            "trucks": trucks,
            "commodity": commodity,
            "escorted": escorted,
            "arrives": arrives,
            "mode": mode,
            "tonnes": trucks * load if load else None,
        }
        size = (
            f"{f.raw['tonnes']:g} t of {commodity} ({trucks:.3g} trucks)"
            if f.has("tonnes")
            else f"{trucks:g} {commodity} trucks"
        )
        what = {"road": "convoy", "river": "boat convoy", "air": "airlift"}[mode]
        label = f"{'escorted ' if escorted and mode == 'road' else ''}{what} of {size} {origin.name} → {dest.name}"
        return label, set(), {"params": params, "point": (dest.lon, dest.lat)}

    def describe(self) -> str:
        when = f"arrives {self.param('arrives')}" if self.param("arrives") else f"leaves {self.start}"
        escort = "escorted" if self.param("escorted") else "unescorted"
        if self.param("mode", "road") == "air":
            return f"{self.param('tonnes') or 0:g} t of {self.param('commodity')} by air, {when}"
        by = " by river" if self.param("mode") == "river" else ""
        return f"{self.param('trucks'):g} {self.param('commodity')} trucks{by}, {escort}, {when}"
