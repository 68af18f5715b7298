"""Event kinds, registered in one place: a new kind is one module and one line here."""

from __future__ import annotations

from siege.scenario.events.attack import Attack
from siege.scenario.events.base import Event
from siege.scenario.events.blockade import Blockade
from siege.scenario.events.control_zone import ControlZone
from siege.scenario.events.convoy import Convoy
from siege.scenario.events.cut import Cut
from siege.scenario.events.escort import Escort
from siege.scenario.events.rationing import Rationing
from siege.scenario.events.release_reserve import ReleaseReserve
from siege.scenario.events.road_status import RoadStatus
from siege.scenario.events.season import Season
from siege.scenario.events.town_blockade import TownBlockade

#: event ``kind`` → class
EVENT_KINDS: dict[str, type[Event]] = {
    "attack": Attack,
    "ambush": Attack,
    "blockade": Blockade,
    "control_zone": ControlZone,
    "cut": Cut,
    "town_blockade": TownBlockade,
    "convoy": Convoy,
    "escort": Escort,
    "rationing": Rationing,
    "release_reserve": ReleaseReserve,
    "season": Season,
    "road_status": RoadStatus,
}

__all__ = [
    "EVENT_KINDS",
    "Attack",
    "Blockade",
    "ControlZone",
    "Convoy",
    "Cut",
    "Escort",
    "Event",
    "Rationing",
    "ReleaseReserve",
    "RoadStatus",
    "Season",
    "TownBlockade",
]
