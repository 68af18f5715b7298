"""Read what planners already have into scenarios: ACLED exports (:mod:`.acled`) and Logistics
Cluster / WFP road-status layers (:mod:`.road_status`). Each importer writes a complete scenario
that ``siege validate`` accepts, and says what it read, kept and left out, by reason."""

from __future__ import annotations

from siege.importers.common import ImportResult

__all__ = ["ImportResult"]
