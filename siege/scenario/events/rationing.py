"""``rationing``: demand cut by decree or by queues — towns consume a share of their normal demand.

Fields: ``demand_factor`` (0–1, the share of normal demand still consumed and ordered), ``towns``
(default: every town), ``commodities`` (default: all), and the usual window. Example: the fuel
rationing of January 2026 (one fill every 3 days for cars, ndarinfo.com).
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege import validation
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields


class Rationing(Event):
    KIND: ClassVar[str] = "rationing"
    FIELDS: ClassVar[tuple[str, ...]] = ("towns", "demand_factor")
    NEEDS_SEGMENTS: ClassVar[bool] = False
    TAKES_MODE: ClassVar[bool] = False
    DEGRADES: ClassVar[bool] = False
    TAKES_EFFECT: ClassVar[bool] = False

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        factor = validation.number(
            f.raw.get("demand_factor"), f.at("demand_factor"), strict=False, maximum=1.0, expected="a share from 0 to 1"
        )
        towns = None
        if f.has("towns"):
            towns = tuple(ctx.gazetteer.get(n, f.at("towns")).name for n in f.names("towns"))
        where = ", ".join(towns) if towns else "every town"
        return (
            f"rationing in {where} (demand ×{factor:g})",
            set(),
            {"params": {"towns": towns, "demand_factor": factor}},
        )

    def describe(self) -> str:
        what = ", ".join(sorted(self.commodities)) if self.commodities else "every commodity"
        return f"demand of {what} × {self.param('demand_factor'):g}"
