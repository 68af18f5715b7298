"""``blockade``: a road held shut between two towns, or explicit segments.

Fields: ``ref`` with ``from`` and ``to`` (the stretch of that road between the two towns), or
``segments = [[town, town], ...]`` (the road route between each pair). ``start``/``end``.
Default effect: close.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siege.errors import SiegeInputError
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.events.base import Event, Fields


class Blockade(Event):
    KIND: ClassVar[str] = "blockade"
    FIELDS: ClassVar[tuple[str, ...]] = ("ref", "from", "to", "segments")

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        if f.has("segments"):
            if f.has("from") or f.has("to"):
                raise SiegeInputError(f.at("segments"), "give either segments or from/to, not both")
            pairs = f.raw["segments"]
            if not isinstance(pairs, list) or not pairs:
                raise SiegeInputError(f.at("segments"), "expected a list of [town, town] pairs")
            ref = f.text("ref") if f.has("ref") else None
            edges: set[EdgeKey] = set()
            for i, pair in enumerate(pairs):
                sub = Fields({"pair": pair}, f.at(f"segments[{i}]"))
                a, b = sub.names("pair", 2)
                edges |= ctx.stretch(a, b, f.at(f"segments[{i}]"), ref=ref)
            names = "; ".join(f"{a} – {b}" for a, b in pairs)
            return f"blockade of {names}", edges, {"segments": names}
        for name in ("ref", "from", "to"):
            if not f.has(name):
                raise SiegeInputError(f.at(name), "a blockade needs ref, from and to (or segments)")
        ref, a, b = f.text("ref"), f.text("from"), f.text("to")
        return (
            f"blockade of {ref} {a} – {b}",
            ctx.stretch(a, b, f.at("from"), ref=ref),
            {"ref": ref, "from": a, "to": b},
        )
