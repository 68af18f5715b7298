"""siege — model sieges on a road network: which towns are cut off from supply, how badly, and why."""

from siege.analyses.isolation import RunResult, TownResult, run
from siege.errors import SiegeInputError
from siege.network.export import export_network
from siege.network.source import load_network
from siege.network.summary import NetworkSummary, network_summary
from siege.places import Gazetteer, Place, SnappedPlace, mali_gazetteer, snap_places
from siege.scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Gazetteer",
    "NetworkSummary",
    "Place",
    "RunResult",
    "Scenario",
    "SiegeInputError",
    "SnappedPlace",
    "TownResult",
    "__version__",
    "export_network",
    "load_network",
    "load_scenario",
    "mali_gazetteer",
    "network_summary",
    "run",
    "snap_places",
]
