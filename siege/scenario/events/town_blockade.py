"""``town_blockade``: a town besieged as such — nothing (or a share) of the targeted commodities enters.

Fields: ``place`` (a town) or ``towns = [...]``; ``commodities`` (default: all); ``effect = "close"``
(default: nothing enters) or ``{capacity_factor = 0.2}`` (that share of the town's orders enters).
It bites whatever the town's demand: a 2-truck town is as blockaded as a 400-truck one. The JNIM
blockade of Nioro du Sahel (fuel banned, Sept–Oct 2025) is the model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields


class TownBlockade(Event):
    KIND: ClassVar[str] = "town_blockade"
    FIELDS: ClassVar[tuple[str, ...]] = ("place", "towns")
    NEEDS_SEGMENTS: ClassVar[bool] = False
    TAKES_MODE: ClassVar[bool] = False
    DEGRADES: ClassVar[bool] = False

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        names = [f.text("place")] if f.has("place") else f.names("towns")
        if f.has("place") and f.has("towns"):
            from siege.errors import SiegeInputError

            raise SiegeInputError(f.at("towns"), "give either place or towns, not both")
        places = [ctx.gazetteer.get(n, f.at("place" if f.has("place") else "towns")) for n in names]
        located = [p for p in places if p.located]
        details: dict[str, Any] = {"params": {"towns": tuple(p.name for p in places)}}
        if located:
            details["point"] = (located[0].lon, located[0].lat)
        return f"blockade of {', '.join(p.name for p in places)}", set(), details

    def describe(self) -> str:
        what = ", ".join(sorted(self.commodities)) if self.commodities else "supplies"
        if self.effect.closed:
            return f"no {what} enters"
        return f"{self.effect.capacity_factor:.0%} of the orders of {what} enter"
