"""Settings in one place: road classes, speed and capacity tables, snapping limit, data paths.

Every number here is a documented planning assumption, not a measurement. Override them per call
(keyword arguments of the functions that use them) or from the CLI (``--tables FILE.toml``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: OSM ``highway`` classes kept by default (their ``*_link`` variants are kept with them).
DEFAULT_ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: Surface classes used by the speed and capacity tables. OSM ``surface`` values map onto them
#: through :data:`SURFACE_CLASSES`; a missing or unrecognised value is ``unknown``.
SURFACE_CLASSES: dict[str, str] = {
    "paved": "paved",
    "asphalt": "paved",
    "concrete": "paved",
    "concrete:plates": "paved",
    "paving_stones": "paved",
    "sett": "paved",
    "chipseal": "paved",
    "unpaved": "unpaved",
    "compacted": "unpaved",
    "gravel": "unpaved",
    "fine_gravel": "unpaved",
    "dirt": "unpaved",
    "earth": "unpaved",
    "ground": "unpaved",
    "sand": "unpaved",
    "laterite": "unpaved",
    "mud": "unpaved",
}

#: Typical speed of a laden truck in km/h by road class and surface class. Planning figures for
#: the Sahel (an unpaved primary road is not an 80 km/h road); classes not listed use
#: :data:`FALLBACK_SPEED_KPH`.
SPEED_KPH: dict[str, dict[str, float]] = {
    "motorway": {"paved": 80, "unpaved": 40, "unknown": 70},
    "trunk": {"paved": 65, "unpaved": 35, "unknown": 50},
    "primary": {"paved": 55, "unpaved": 30, "unknown": 40},
    "secondary": {"paved": 45, "unpaved": 25, "unknown": 35},
    "tertiary": {"paved": 40, "unpaved": 20, "unknown": 30},
    "unclassified": {"paved": 35, "unpaved": 20, "unknown": 25},
    "track": {"paved": 25, "unpaved": 15, "unknown": 15},
    # other modes (siege/network/modes.py), whatever the surface: COMANAV's boats average at most
    # 14-15 km/h (river.csv: undated guide; Le Journal de Montréal 2009); a ferry crossing at 5 km/h
    # (assumption); a light transport aircraft at 350 km/h (assumption: Let 410, Dornier 228, C-130)
    "river": {"paved": 14, "unpaved": 14, "unknown": 14},
    "ferry": {"paved": 5, "unpaved": 5, "unknown": 5},
    "air": {"paved": 350, "unpaved": 350, "unknown": 350},
}
FALLBACK_SPEED_KPH: dict[str, float] = {"paved": 35, "unpaved": 20, "unknown": 25}

#: A loaded truck's top speed (km/h): a way's ``maxspeed`` lowers its speed below the class table,
#: never raises it above this (West African heavy-goods limits are 60–80 km/h on open road; a
#: planning figure).
TRUCK_MAX_SPEED_KPH: float = 70.0

#: Capacity in trucks per day per direction by road class and surface class. Planning figures: a
#: two-lane paved national road carries a few thousand heavy vehicles a day; an unpaved one far
#: fewer. For scale, the observed volumes in the facts are 440 trucks/day at Diboli-Kidira (JICA
#: 2012) and ~700 trucks/day on Dakar-Bamako (Vallis).
CAPACITY_TRUCKS_PER_DAY: dict[str, dict[str, float]] = {
    "motorway": {"paved": 4000, "unpaved": 1000, "unknown": 3000},
    "trunk": {"paved": 2000, "unpaved": 600, "unknown": 1200},
    "primary": {"paved": 1500, "unpaved": 500, "unknown": 900},
    "secondary": {"paved": 800, "unpaved": 300, "unknown": 500},
    "tertiary": {"paved": 400, "unpaved": 150, "unknown": 250},
    "unclassified": {"paved": 200, "unpaved": 100, "unknown": 150},
    "track": {"paved": 100, "unpaved": 50, "unknown": 50},
    # the Niger: COMANAV's three big boats carry at most 130 t each (river.csv, fr.wikipedia fleet
    # table; COMANAV 2022) and a round trip Koulikoro-Gao takes about two weeks ("a week" each way,
    # river.csv): 3 x 130 t / 14 days = 28 t/day, 1.5 trucks of 18.5 t. Private pinasses carry more,
    # but no figure was found: the river's capacity is a lower bound (raise it with --tables).
    "river": {"paved": 1.5, "unpaved": 1.5, "unknown": 1.5},
    # a river ferry (bac): assumption, a few trucks a crossing, a crossing an hour in daylight
    "ferry": {"paved": 50, "unpaved": 50, "unknown": 50},
    # an air leg's own capacity is its airports' payload (modes.AIR_PAYLOAD_T_PER_DAY), set per edge
    "air": {"paved": 1, "unpaved": 1, "unknown": 1},
}
FALLBACK_CAPACITY_TRUCKS_PER_DAY: dict[str, float] = {"paved": 200, "unpaved": 100, "unknown": 150}

#: A place further than this from any network node is reported and not snapped.
MAX_SNAP_KM: float = 10.0

#: suffixes of OSM XML files
OSM_XML_SUFFIXES: tuple[str, ...] = (".osm", ".osm.gz", ".osm.bz2", ".xml")

#: the prepared-graph cache's size cap in MB (``SIEGE_CACHE_MAX_MB`` overrides): a national extract's
#: entry is a few hundred MB, so 2 GB keeps several networks and never fills a laptop's disk
CACHE_MAX_MB: float = 2048.0

#: osmnx's default ``settings.useful_tags_way`` (osmnx 2): the way tags its XML path keeps, which the
#: PBF builder keeps too without importing osmnx (tests/test_pbf_and_download.py checks it is osmnx's)
OSMNX_WAY_TAGS: tuple[str, ...] = (
    "access",
    "area",
    "bridge",
    "est_width",
    "highway",
    "junction",
    "landuse",
    "lanes",
    "maxspeed",
    "name",
    "oneway",
    "ref",
    "service",
    "tunnel",
    "width",
)

#: OSM way tags kept as edge attributes in addition to osmnx's defaults (the mode tags: a ferry route,
#: a navigable waterway, the bundled network's own ``siege:mode`` and airport payload).
EXTRA_WAY_TAGS: tuple[str, ...] = (
    "surface",
    "estimated",
    "siege:road_km",
    "siege:mode",
    "siege:payload_t",
    "siege:crossing",
    "route",
    "waterway",
    "boat",
    "ship",
    "motorboat",
    "CEMT",
)
#: OSM node tags kept as node attributes in addition to osmnx's defaults. A node tagged ``place``
#: on a road is kept as a graph node by simplification, so that towns stay addressable.
EXTRA_NODE_TAGS: tuple[str, ...] = ("place", "name")

#: Name of the bundled network (the default source).
BUNDLED_NETWORK = "mali"


def networks_dir() -> Path:
    """Folder holding the bundled network data (``networks/`` at the repository root, or in the wheel).

    ``SIEGE_NETWORKS_DIR`` overrides it, for installs where the package and data live apart.
    """
    env = os.environ.get("SIEGE_NETWORKS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent / "networks"
    if checkout.is_dir():
        return checkout
    # a wheel install ships the folder as the package data siege.bundled_networks
    return Path(__file__).resolve().parent / "bundled_networks"


#: Demand of a town in trucks per day per 10,000 inhabitants. With it the capital and the district
#: capitals on the bundled network need about 750 trucks/day in all, the order of the observed corridor
#: traffic (~700 trucks/day on Dakar-Bamako, 440 at Diboli-Kidira): a planning figure for food, fuel
#: and goods together, not a measurement.
TRUCKS_PER_10000_PEOPLE: float = 1.0
#: Population assumed for a town whose population is not known (GeoNames has none for several seats).
UNKNOWN_POPULATION: int = 20_000
#: Smallest demand of a town, trucks/day.
MIN_DEMAND_TRUCKS_PER_DAY: float = 1.0

#: Status classes of a town, from its served fraction, route survival and travel-time ratio:
#: ``isolated``  no open route from any supply point (nothing can be delivered);
#: ``besieged``  served fraction below ``besieged_served_below`` or survival below ``besieged_survival_below``;
#: ``degraded``  served fraction below ``degraded_served_below``, survival below
#:               ``degraded_survival_below`` or travel time more than ``degraded_delay_ratio_above`` × baseline;
#: ``open``      otherwise.
STATUS_THRESHOLDS: dict[str, float] = {
    "besieged_served_below": 0.5,
    "besieged_survival_below": 0.5,
    "degraded_served_below": 0.95,
    "degraded_survival_below": 0.9,
    "degraded_delay_ratio_above": 1.5,
}

#: How far apart the two carriageways of a dual carriageway may lie (km): a blockade of a stretch
#: takes the way back from nodes this close to its ends (urban dual carriageways: 10–60 m apart;
#: motorways with a wide median: up to ~150 m)
CARRIAGEWAY_GAP_KM: float = 0.2

#: Above this many road segments the map draws the major roads (motorway to primary), every road
#: an event touches and every town's route and chokepoints, summarises the others in its title
#: block, and simplifies drawn lines to about 30 m: a national extract's map stays a few MB
MAP_MAX_ROADS: int = 20_000
MAP_MAJOR_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary")
MAP_SIMPLIFY_DEG: float = 0.0003

#: Mali's bounding box (west, south, east, north): an extract reaching it also gets Mali's gazetteer
MALI_BOUNDS: tuple[float, float, float, float] = (-12.3, 10.1, 4.3, 25.0)

#: Restocking (a planning assumption, stated in the README): a town or depot below its stock target
#: orders, on top of the day's demand, REFILL_SHARE_PER_DAY of the missing stock, at most ORDER_CAP
#: times its normal day in all; a stock emptied by a blockade is rebuilt within days wherever roads,
#: gateways and truckers allow (half the gap a day: 2 days of a 3-day target in the first two days).
REFILL_SHARE_PER_DAY: float = 0.5
ORDER_CAP: float = 2.0
#: A town is *short* of a commodity on a day when what it could consume (stock plus arrivals) falls below
#: its demand by more than this share of the demand: 1 %, well above the solver's tolerance (1e-7
#: trucks) and below anything a town would notice. A shortfall of a millionth of a tanker is not a shortage.
SHORT_TOLERANCE: float = 0.01

#: Relief planning (siege plan-relief): the most combinations of candidates run one by one through the
#: period (each is a run) before the mixed-integer programme of the linear period model chooses
#: instead; HiGHS's time limit on that programme (its best plan so far is taken, and the gap said);
#: a short stretch closer than RELIEF_STRETCH_GAP_DAYS to the next is one shortfall; at most
#: RELIEF_CONVOYS_PER_STRETCH departure dates are offered per stretch.
RELIEF_EXACT_LIMIT: int = 24
RELIEF_MILP_SECONDS: float = 60.0
RELIEF_STRETCH_GAP_DAYS: int = 7
RELIEF_CONVOYS_PER_STRETCH: int = 6

#: Dask: seconds to wait for a scheduler to answer, and for a worker to (re)appear before a sweep
#: whose workers have all died or left is stopped with an error instead of waiting forever.
DASK_CONNECT_TIMEOUT_S: float = 10.0
DASK_NO_WORKER_TIMEOUT_S: float = 60.0
#: how long a stopped sweep's worker processes get to end before they are killed (seconds)
WORKER_STOP_GRACE_S: float = 10.0
#: Most variants one sweep may ask for (--runs times the grid's combinations).
MAX_SWEEP_VARIANTS: int = 1_000_000

#: Threat-limited flow. Truckers carry a share ``1 − risk / REFUSE_RISK`` of what is ordered through a
#: route whose risk (the chance a convoy is stopped, each event on the route counted once) is below
#: REFUSE_RISK, and nothing above it without escort: after the attacks of September 2025 about 1,000
#: tankers waited at the Ivorian border rather than drive on (drivers' union, DW) — refusal, not road
#: capacity, is what limits supply under threat. REFUSE_RISK = 0.5 is a planning assumption.
REFUSE_RISK: float = 0.5
#: Escorted trucks meet the threats of the escorted road with their risk multiplied by this factor
#: (assumption: the escorted convoy of 80+ tankers attacked on 14 Sep 2025 still lost 20–40 of them).
ESCORT_RISK_FACTOR: float = 0.5
#: Hours a boat sails a day on the Niger (assumption: COMANAV's boats sail day and night with port
#: stops; at 14 km/h that is ~280 km a day, so Mopti-Korioumé takes 1.5 days, as the 1-2 days of
#: river.csv). A route's hours are hours of truck driving: a day's sailing counts as a day's driving.
RIVER_SAILING_HOURS_PER_DAY: float = 20.0
#: Hours a convoy waits at a ferry crossing (assumption: queues of tens of vehicles at the Korioumé
#: ferry, 2009 travel account in the facts)
FERRY_WAIT_HOURS: float = 2.0
#: Driving hours a convoy covers per day: Dakar–Bamako takes about four days (seneweb.com, Nov 2025),
#: 20.8 hours of driving on the bundled network: about 5 hours a day (borders, checks, rest).
CONVOY_DRIVING_HOURS_PER_DAY: float = 5.0
#: A town draws on the supply points whose route is at most this many times its fastest one
#: (its usual corridors); farther ones are not part of its supply chain.
CATCHMENT_FACTOR: float = 1.5
#: A town fed by the gateways whose usual ones fail reaches on to this many further gateways, nearest
#: first (beyond them a detour across the region is not a supply route; each lane costs solver time).
FALLBACK_GATEWAYS: int = 2
#: Ways of sharing scarce supply among towns (``[allocation] policy``), and the default: see README.
ALLOCATION_POLICIES: tuple[str, ...] = ("max-min", "proportional", "priority")
DEFAULT_ALLOCATION: str = "max-min"

#: chokepoints listed per town, nearest the town first (the segments its lanes all need; see
#: :func:`siege.solver.flow.chain_chokepoints`)
MAX_CHOKEPOINTS: int = 6

#: days up to the evaluation day that the attacker's search simulates on a scenario with a period (its
#: plans are then measured over the whole period): long enough for a cut depot's stocks to run down
INTERDICTION_SEARCH_DAYS: int = 14
