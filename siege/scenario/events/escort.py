"""``escort``: the army escorts convoys on a road for a time — up to ``capacity_trucks_per_day`` trucks
a day cross the threats there with their risk multiplied by ``risk_factor``.

Fields: ``ref`` with ``from`` and ``to``, or ``segments = [[town, town], ...]`` (as a blockade);
``capacity_trucks_per_day``; ``risk_factor`` (default ``siege/settings.py`` ``ESCORT_RISK_FACTOR``);
``commodities`` (default: all). It degrades nothing: it opens a protected lane beside the threatened one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege import settings, validation
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields
from siege.scenario.events.blockade import Blockade


class Escort(Event):
    KIND: ClassVar[str] = "escort"
    FIELDS: ClassVar[tuple[str, ...]] = ("ref", "from", "to", "segments", "capacity_trucks_per_day", "risk_factor")
    DEGRADES: ClassVar[bool] = False
    TAKES_EFFECT: ClassVar[bool] = False

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        label, edges, details = Blockade.select(f, ctx)
        capacity = validation.number(
            f.raw.get("capacity_trucks_per_day"), f.at("capacity_trucks_per_day"), maximum=validation.MAX_TRUCKS_PER_DAY
        )
        factor = validation.number(
            f.raw.get("risk_factor", settings.ESCORT_RISK_FACTOR),
            f.at("risk_factor"),
            strict=False,
            maximum=1.0,
            expected="a factor from 0 to 1",
        )
        details["params"] = {"capacity": capacity, "risk_factor": factor}
        return label.replace("blockade of", "escorts on"), edges, details

    def describe(self) -> str:
        what = f" of {', '.join(sorted(self.commodities))}" if self.commodities else ""
        return f"up to {self.param('capacity'):g} trucks{what}/day escorted, risk × {self.param('risk_factor'):g}"
