"""siege — model sieges on a road network: which towns are cut off from supply, how badly, and why."""

from siege.errors import SiegeInputError
from siege.network.export import export_network
from siege.network.source import load_network
from siege.network.summary import NetworkSummary, network_summary
from siege.places import Gazetteer, Place, SnappedPlace, mali_gazetteer, snap_places

__version__ = "0.1.0"

__all__ = [
    "Gazetteer",
    "NetworkSummary",
    "Place",
    "SiegeInputError",
    "SnappedPlace",
    "__version__",
    "export_network",
    "load_network",
    "mali_gazetteer",
    "network_summary",
    "snap_places",
]
