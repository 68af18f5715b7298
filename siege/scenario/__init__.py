"""Scenarios: TOML files of supply, towns and events, validated and resolved against a network."""

from siege.scenario.degradation import Degradation, degrade
from siege.scenario.effects import Effect, compose
from siege.scenario.model import Scenario, SupplyPoint, Town, load_scenario, scenario_from_dict

__all__ = [
    "Degradation",
    "Effect",
    "Scenario",
    "SupplyPoint",
    "Town",
    "compose",
    "degrade",
    "load_scenario",
    "scenario_from_dict",
]
