"""What the importers share: the result (a scenario dictionary and counts), the scenario built from
the events the network can carry, and writing the scenario TOML."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import tomli_w

from siege import validation
from siege.errors import SiegeInputError
from siege.io import check_writable_target, write_text_atomic
from siege.places import gazetteer_for
from siege.scenario.context import NetworkContext
from siege.scenario.events import EVENT_KINDS


@dataclass
class ImportResult:
    """A scenario built from a planner's file, with what was read, kept and left out (by reason)."""

    scenario: dict[str, Any]
    read: int
    kept: int
    dropped: Counter = field(default_factory=Counter)
    #: rows kept but changed by a rule (e.g. area-level rows widened), by rule
    adjusted: Counter = field(default_factory=Counter)
    #: what was read: rows of a table, features of a layer
    unit: str = "row"

    def summary(self) -> str:
        """The counts in words, one reason a line."""
        left = sum(self.dropped.values())
        lines = [f"read {self.read} {self.unit}(s); kept {self.kept} as events; left out {left}"]
        lines += [f"  left out, {reason}: {n}" for reason, n in sorted(self.dropped.items(), key=lambda x: -x[1])]
        lines += [f"  kept, {rule}: {n}" for rule, n in sorted(self.adjusted.items(), key=lambda x: -x[1])]
        return "\n".join(lines)


def keep_events_on_network(
    events: list[tuple[int, dict[str, Any]]], G: nx.MultiDiGraph, where: str, dropped: Counter
) -> list[dict[str, Any]]:
    """The events (with the source row's line) the network can carry: each parsed as ``siege validate``
    would; one that hits no road, or names what the network lacks, is left out with its reason."""
    ctx = NetworkContext(G, gazetteer_for(G))
    kept = []
    for line, raw in events:
        try:
            EVENT_KINDS[raw["kind"]].parse(len(kept), raw, f"{where}, line {line}", ctx)
        except SiegeInputError as err:
            dropped[_reason(err.problem)] += 1
            continue
        kept.append(raw)
    return kept


def _reason(problem: str) -> str:
    if "hits no" in problem:
        return "on no road of the network"
    if "outside" in problem or "extent" in problem:
        return "outside the network's area"
    return f"not valid on the network ({problem[:80]})"


def complete(scenario: dict[str, Any], G: nx.MultiDiGraph, where: str, supply: tuple[tuple[str, float], ...]) -> None:
    """Add the supply points asked for and check the whole scenario as ``siege validate`` will: an
    extract that none of the default supply points lies on needs ``--supply PLACE=TRUCKS``."""
    from siege.scenario import scenario_from_dict

    if supply:
        scenario["supply"] = [{"place": name, "capacity": capacity} for name, capacity in supply]
    try:
        scenario_from_dict(scenario, network=G, where=where)
    except SiegeInputError as err:
        hint = " (give --supply PLACE=TRUCKS_PER_DAY)" if "supply point" in err.problem else ""
        raise SiegeInputError(err.where, err.problem + hint) from None


def parse_supply(values: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """``--supply NAME=TRUCKS`` values."""
    out = []
    for v in values:
        name, sep, number = v.rpartition("=")
        try:
            capacity = float(number)
        except ValueError:
            capacity = -1.0
        if not sep or not name.strip() or not capacity > 0:
            raise SiegeInputError("--supply", f"expected PLACE=TRUCKS_PER_DAY (e.g. Kati=200), got {v!r}")
        out.append((name.strip(), capacity))
    return tuple(out)


def scenario_toml(scenario: dict[str, Any], *, header: list[str]) -> str:
    """The scenario as TOML, with comment lines on top (each header line one comment; text from the
    input is data: a line break in it cannot end the comment)."""
    lines = [f"# {' '.join(h.split())}" for h in header]
    return "\n".join(lines) + "\n\n" + tomli_w.dumps(scenario)


def write_scenario(scenario: dict[str, Any], out: str | Path, *, header: list[str]) -> Path:
    """Write the scenario TOML atomically (a failure leaves nothing)."""
    check_writable_target(out)
    return write_text_atomic(out, scenario_toml(scenario, header=header))


def network_entry(network: str, out: str | Path) -> str:
    """The ``network`` field of a written scenario: ``mali``, or the network file relative to the
    scenario (a scenario's paths are read relative to it)."""
    if network == "mali":
        return network
    return os.path.relpath(Path(network).resolve(), Path(out).resolve().parent)


def build_scenario(
    events: list[tuple[int, dict[str, Any]]],
    *,
    G: nx.MultiDiGraph | None,
    network: str,
    out: str | Path,
    where: str,
    name: str,
    description: Callable[[int], str],
    source: str,
    supply: tuple[tuple[str, float], ...],
    read: int,
    dropped: Counter,
    adjusted: Counter,
    unit: str,
) -> ImportResult:
    """The scenario of an importer's events (with their source lines): those the network (``G``, else
    loaded from ``network``) can carry, over the period from the first event to the last one's end,
    judged on its last event day, checked whole as ``siege validate`` will."""
    from siege.network.source import load_network

    G = G if G is not None else load_network(network)
    kept = keep_events_on_network(events, G, where, dropped)
    if not kept:
        why = "; ".join(f"{n} {reason}" for reason, n in dropped.most_common(3)) or f"the file has no {unit}s"
        raise SiegeInputError(where, f"no {unit} became an event ({why})")
    starts, ends = [e["start"] for e in kept], [e["end"] for e in kept]
    scenario: dict[str, Any] = {
        "name": name,
        "description": description(len(kept)),  # file names are data: never a format string
        "sources": [source],
        "network": network_entry(network, out),
        "date": max(starts),
        "start": min(starts),
        "end": max(ends),
        "events": kept,
    }
    validation.check_period(scenario["start"], scenario["end"], f"{where}: dates")
    complete(scenario, G, where, supply)
    return ImportResult(scenario=scenario, read=read, kept=len(kept), dropped=dropped, adjusted=adjusted, unit=unit)
