"""``release_reserve``: the state releases its security reserve — while the event acts, the reserve
held at the national depot (``reserve_days_national_depot`` in ``networks/mali/commodities.csv``)
may be drawn like the commercial stock, after it.

Fields: ``towns`` (default: the capital, whose national depot holds the reserve), ``commodities``
(default: all), and the usual window (``start`` alone: from that day on; ``start``/``end``; ``date``
with ``duration_days``). Outside a release the reserve is not drawn, and a depot rebuilds it only from what is
left over once its commercial stock is full.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields


class ReleaseReserve(Event):
    KIND: ClassVar[str] = "release_reserve"
    FIELDS: ClassVar[tuple[str, ...]] = ("towns",)
    NEEDS_SEGMENTS: ClassVar[bool] = False
    TAKES_MODE: ClassVar[bool] = False
    DEGRADES: ClassVar[bool] = False
    TAKES_EFFECT: ClassVar[bool] = False

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        towns = None
        if f.has("towns"):
            towns = tuple(ctx.gazetteer.get(n, f.at("towns")).name for n in f.names("towns"))
        where = ", ".join(towns) if towns else "the national depot"
        return f"security reserve released at {where}", set(), {"params": {"towns": towns}}

    def describe(self) -> str:
        what = ", ".join(sorted(self.commodities)) if self.commodities else "every commodity"
        where = ", ".join(self.param("towns")) if self.param("towns") else "the national depot"
        return f"the security reserve of {what} at {where} may be drawn"
