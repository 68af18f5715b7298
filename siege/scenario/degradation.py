"""Events → one degradation table keyed by edge. The network itself is never touched."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from siege.scenario.context import EdgeKey
from siege.scenario.effects import Effect, compose
from siege.scenario.events import Event


@dataclass(frozen=True)
class Degradation:
    """The composed effect on every affected segment and the events that cause it."""

    effects: dict[EdgeKey, Effect] = field(default_factory=dict)
    causes: dict[EdgeKey, tuple[str, ...]] = field(default_factory=dict)

    def state(self, key: EdgeKey) -> str:
        """``open``, ``degraded`` or ``closed``."""
        effect = self.effects.get(key)
        if effect is None:
            return "open"
        return "closed" if effect.closed else "degraded"

    def __len__(self) -> int:
        return len(self.effects)


def degrade(events: Iterable[Event], day: dt.date | None = None, *, commodity: str | None = None) -> Degradation:
    """Compose the effects of the events acting on ``day`` (all events when ``day`` is None) on the
    trucks of ``commodity`` (``None``: every event, whatever it targets)."""
    per_edge: dict[EdgeKey, list[Event]] = defaultdict(list)
    for event in events:
        if event.DEGRADES and event.active_on(day) and event.targets(commodity):
            for key in event.edges:
                per_edge[key].append(event)
    return Degradation(
        effects={k: compose(e.effect for e in evs) for k, evs in per_edge.items()},
        causes={k: tuple(f"#{e.index} {e.label}" for e in evs) for k, evs in per_edge.items()},
    )
