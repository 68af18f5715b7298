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

from siege.analyses.criticality import CriticalityReport, scenario_criticality
from siege.analyses.interdiction import InterdictionReport, scenario_interdiction
from siege.analyses.isolation import RunResult, TownResult, run
from siege.analyses.sweep import SweepConfig, SweepResult, sweep
from siege.analyses.timeline import TimelineResult, simulate
from siege.errors import SiegeInputError
from siege.network.export import export_network
from siege.network.source import load_network
from siege.network.summary import NetworkSummary, network_summary
from siege.places import Gazetteer, Place, SnappedPlace, mali_gazetteer, snap_places
from siege.scenario import Scenario, load_scenario

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
