"""Event kinds, registered in one place: a new kind is one module and one line here."""

from __future__ import annotations

from siege.scenario.events.attack import Attack
from siege.scenario.events.base import Event
from siege.scenario.events.blockade import Blockade
from siege.scenario.events.control_zone import ControlZone
from siege.scenario.events.cut import Cut

#: event ``kind`` → class
EVENT_KINDS: dict[str, type[Event]] = {
    "attack": Attack,
    "ambush": Attack,
    "blockade": Blockade,
    "control_zone": ControlZone,
    "cut": Cut,
}

__all__ = ["EVENT_KINDS", "Attack", "Blockade", "ControlZone", "Cut", "Event"]
