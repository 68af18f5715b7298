"""``season``: what the rains do to roads, every year in a window of the calendar.

Fields: ``months = ["06-15", "10-31"]`` (the yearly window, month-day; it may wrap past the new
year), and the segments: ``from`` and ``to`` (with ``ref``: that road's stretch between them) or
``surface = "unpaved"`` (every segment whose surface class is unpaved: OSM ``surface`` unpaved, dirt,
gravel, sand …, see ``settings.SURFACE_CLASSES``). With ``mode = "river"``, ``from`` and ``to`` are ports
and the window is when the reach is *not* navigable (low water). ``start``/``end`` bound the years it acts
(default: every year). Default effect: close. The bundled network's rules are
``networks/mali/seasons.csv``, added to a dated scenario on it unless it says ``seasons = false``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from siege.errors import SiegeInputError
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields

#: OSM surfaces read as unpaved (the bundled network writes "unpaved")
UNPAVED = frozenset(
    {"unpaved", "dirt", "earth", "ground", "gravel", "fine_gravel", "sand", "mud", "grass", "compacted"}
)


def _month_day(value: Any, where: str) -> tuple[int, int]:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        dt.date(2024, month, day)  # a leap year: 02-29 is a valid day of the window
    except (ValueError, TypeError):
        raise SiegeInputError(where, f'expected a month-day like "06-15", got {value!r}') from None
    return month, day


class Season(Event):
    KIND: ClassVar[str] = "season"
    FIELDS: ClassVar[tuple[str, ...]] = ("months", "ref", "from", "to", "surface")

    def active_on(self, day: dt.date | None) -> bool:
        if day is None:
            return True
        if not super().active_on(day):
            return False
        (m0, d0), (m1, d1) = self.param("months")
        md = (day.month, day.day)
        return (m0, d0) <= md <= (m1, d1) if (m0, d0) <= (m1, d1) else md >= (m0, d0) or md <= (m1, d1)

    def window(self) -> str:
        (m0, d0), (m1, d1) = self.param("months")
        years = super().window()
        return f"every year {m0:02d}-{d0:02d} to {m1:02d}-{d1:02d}" + ("" if years == "always" else f" ({years})")

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        months = f.raw.get("months")
        if not isinstance(months, list) or len(months) != 2:
            raise SiegeInputError(f.at("months"), 'expected the yearly window, like months = ["06-15", "10-31"]')
        window = tuple(_month_day(m, f.at("months")) for m in months)
        params = {"months": window}
        if f.has("surface"):
            if f.has("from") or f.has("to") or f.has("ref"):
                raise SiegeInputError(f.at("surface"), "give either surface or from/to, not both")
            if f.text("surface") != "unpaved":
                raise SiegeInputError(f.at("surface"), 'expected "unpaved"')
            # the schema's surface class (settings.SURFACE_CLASSES: dirt, gravel, sand … are unpaved)
            edges = {(u, v, k) for u, v, k, s in ctx.G.edges(keys=True, data="surface_class") if s == "unpaved"}
            return "rainy season: every unpaved road", edges, {"surface": "unpaved", "params": params}
        for name in ("from", "to"):
            if not f.has(name):
                raise SiegeInputError(f.at(name), "a season needs from and to (or surface)")
        ref = f.text("ref") if f.has("ref") else None
        a, b = f.text("from"), f.text("to")
        edges = ctx.stretch(a, b, f.at("from"), ref=ref)
        road = f"{ref} " if ref else ""
        if f.mode() == "river":
            return f"low water: no boats {a} – {b}", edges, {"from": a, "to": b, "params": params}
        return f"rainy season: {road}{a} – {b}", edges, {"from": a, "to": b, "params": params}
