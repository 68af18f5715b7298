"""Status classes of a town from its numbers; thresholds are data (settings.STATUS_THRESHOLDS)."""

from __future__ import annotations

import math
from collections.abc import Mapping

STATUSES = ("open", "degraded", "besieged", "isolated")


def classify(
    *,
    reachable: bool,
    served_fraction: float,
    survival: float,
    travel_time_ratio: float,
    thresholds: Mapping[str, float],
) -> str:
    """``open`` / ``degraded`` / ``besieged`` / ``isolated`` (see settings.STATUS_THRESHOLDS)."""
    if not reachable or served_fraction <= 0.0:
        return "isolated"
    if served_fraction < thresholds["besieged_served_below"] or survival < thresholds["besieged_survival_below"]:
        return "besieged"
    ratio = travel_time_ratio if math.isfinite(travel_time_ratio) else math.inf
    if (
        served_fraction < thresholds["degraded_served_below"]
        or survival < thresholds["degraded_survival_below"]
        or ratio > thresholds["degraded_delay_ratio_above"]
    ):
        return "degraded"
    return "open"


def severity(status: str) -> int:
    """0 for open … 3 for isolated."""
    return STATUSES.index(status)
