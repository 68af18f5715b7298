"""siege — model sieges on a road network: which towns are cut off from supply, how badly, and why.

The Python API mirrors the command line one to one:

==========================  =====================================================
``siege network info``      :func:`load_network` + :func:`network_summary`
``siege network export``    :func:`export_network`
``siege validate``          :func:`load_scenario`
``siege run``               :func:`run` (and :func:`simulate` for a period)
``siege sweep``             :func:`sweep` with a :class:`SweepConfig`
``siege criticality``       :func:`scenario_criticality`
``siege interdict``         :func:`scenario_interdiction`
==========================  =====================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it. Imported on first use, so that ``siege --help`` and
#: light commands do not pay for networkx, osmnx, geopandas and scipy (PEP 562).
_LAZY = {
    "CriticalityReport": "siege.analyses.criticality",
    "scenario_criticality": "siege.analyses.criticality",
    "InterdictionReport": "siege.analyses.interdiction",
    "scenario_interdiction": "siege.analyses.interdiction",
    "RunResult": "siege.analyses.isolation",
    "TownResult": "siege.analyses.isolation",
    "run": "siege.analyses.isolation",
    "SweepConfig": "siege.analyses.sweep",
    "SweepResult": "siege.analyses.sweep",
    "sweep": "siege.analyses.sweep",
    "TimelineResult": "siege.supply",
    "simulate": "siege.supply",
    "SiegeInputError": "siege.errors",
    "export_network": "siege.network.export",
    "load_network": "siege.network.source",
    "NetworkSummary": "siege.network.summary",
    "network_summary": "siege.network.summary",
    "Gazetteer": "siege.places",
    "Place": "siege.places",
    "SnappedPlace": "siege.places",
    "mali_gazetteer": "siege.places",
    "snap_places": "siege.places",
    "Scenario": "siege.scenario",
    "load_scenario": "siege.scenario",
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from siege.analyses.criticality import CriticalityReport, scenario_criticality
    from siege.analyses.interdiction import InterdictionReport, scenario_interdiction
    from siege.analyses.isolation import RunResult, TownResult, run
    from siege.analyses.sweep import SweepConfig, SweepResult, sweep
    from siege.errors import SiegeInputError
    from siege.network.export import export_network
    from siege.network.source import load_network
    from siege.network.summary import NetworkSummary, network_summary
    from siege.places import Gazetteer, Place, SnappedPlace, mali_gazetteer, snap_places
    from siege.scenario import Scenario, load_scenario
    from siege.supply import TimelineResult, simulate


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'siege' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__version__ = "0.1.0"

__all__ = [
    "CriticalityReport",
    "Gazetteer",
    "InterdictionReport",
    "NetworkSummary",
    "Place",
    "RunResult",
    "Scenario",
    "SiegeInputError",
    "SnappedPlace",
    "SweepConfig",
    "SweepResult",
    "TimelineResult",
    "TownResult",
    "__version__",
    "export_network",
    "load_network",
    "load_scenario",
    "mali_gazetteer",
    "network_summary",
    "run",
    "scenario_criticality",
    "scenario_interdiction",
    "simulate",
    "snap_places",
    "sweep",
]
