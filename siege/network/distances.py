"""Compare a network's road distances with published ones (``networks/mali/distances.csv``).

For every published figure between two towns on the network, the network distance is measured
along the route the source names (``via_towns``) or, where the source names none, the shortest
road route. A pair passes if the network is within the tolerance of one of its published
figures (sources often disagree). A figure shorter than the straight line between the two towns'
positions cannot be met by any road (it was measured from a town's edge, or is wrong): such pairs
are listed as ``impossible``, not failed.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from siege.errors import SiegeInputError
from siege.network.geometry import great_circle_m
from siege.network.modes import ROAD_MODES
from siege.places import Gazetteer, snap_places

QUALITIES = ("A", "B")
TOLERANCE = 0.15


@dataclass(frozen=True)
class DistanceCheck:
    """One published figure against the network."""

    start: str
    end: str
    published_km: float
    upper_bound: bool  # the source says "under N km"
    quality: str
    via: tuple[str, ...]
    network_km: float
    straight_km: float
    source: str

    @property
    def error(self) -> float:
        """Relative error of the network distance (0 for an upper bound that is met)."""
        if self.upper_bound and self.network_km <= self.published_km:
            return 0.0
        return self.network_km / self.published_km - 1.0

    @property
    def impossible(self) -> bool:
        """The published figure is shorter than the straight line between the towns."""
        return self.published_km < self.straight_km and not self.upper_bound


def _resolve(gaz: Gazetteer, name: str) -> str | None:
    for candidate in (name, re.sub(r"\s*\(.*\)$", "", name)):
        if candidate in gaz:
            return gaz.get(candidate).name
    return None


def check_published_distances(
    G: nx.MultiDiGraph, gaz: Gazetteer, path: str | Path, *, qualities: tuple[str, ...] = QUALITIES
) -> list[DistanceCheck]:
    """Every published distance of the given qualities between two towns on ``G``."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise SiegeInputError(str(path), "no such file (expected a published distances CSV)") from None
    # published road distances are measured on the roads (and their ferries), not the river or the air
    G = G.edge_subgraph([(u, v, k) for u, v, k, m in G.edges(keys=True, data="mode") if m in ROAD_MODES or m is None])
    node = {s.place.name: s.node for s in snap_places(G, gaz.located()) if s.snapped}
    checks = []
    for row in rows:
        if row["quality"] not in qualities:
            continue
        a, b = _resolve(gaz, row["from"]), _resolve(gaz, row["to"])
        if a not in node or b not in node:
            continue
        via = tuple(v for v in row.get("via_towns", "").split(";") if v)
        stops = [node[a], *(node[gaz.get(v).name] for v in via), node[b]]
        km = sum(nx.shortest_path_length(G, s, t, weight="length") for s, t in itertools.pairwise(stops)) / 1000.0
        text = row["road_km"].strip()
        pa, pb = gaz.get(a), gaz.get(b)
        checks.append(
            DistanceCheck(
                start=a,
                end=b,
                published_km=float(text.lstrip("<")),
                upper_bound=text.startswith("<"),
                quality=row["quality"],
                via=via,
                network_km=round(km, 1),
                straight_km=round(float(great_circle_m(pa.lat, pa.lon, pb.lat, pb.lon)) / 1000.0, 1),
                source=row["source"].split(" | ")[0],
            )
        )
    return checks


def failing_pairs(checks: list[DistanceCheck], tolerance: float = TOLERANCE) -> list[tuple[str, str]]:
    """Pairs none of whose (possible) published figures the network meets within ``tolerance``."""
    by_pair: dict[tuple[str, str], list[DistanceCheck]] = {}
    for c in checks:
        by_pair.setdefault(tuple(sorted((c.start, c.end))), []).append(c)
    failing = []
    for pair, group in by_pair.items():
        possible = [c for c in group if not c.impossible]
        if possible and min(abs(c.error) for c in possible) > tolerance:
            failing.append(pair)
    return failing


def format_checks(checks: list[DistanceCheck], tolerance: float = TOLERANCE) -> str:
    """The error table, one published figure a line."""
    failing = set(failing_pairs(checks, tolerance))
    lines = [f"{'from':<20}{'to':<22}{'published':>10}{'network':>9}{'error':>8}  q  status   route via"]
    for c in sorted(checks, key=lambda c: (c.start, c.end, c.published_km)):
        pair = tuple(sorted((c.start, c.end)))
        status = "IMPOSS" if c.impossible else ("FAIL" if pair in failing else "ok")
        pub = f"{'<' if c.upper_bound else ''}{c.published_km:g}"
        lines.append(
            f"{c.start:<20}{c.end:<22}{pub:>10}{c.network_km:>9.1f}{c.error:>+8.1%}  {c.quality}  {status:<8} "
            f"{', '.join(c.via) or '(shortest)'}"
        )
    legend = (
        "q: quality of the published figure (A: engineering or corridor study with the route stated, B: "
        "encyclopaedia, press or distance table, C: travel blog, old page or possibly straight-line). "
        f"status: ok = within {tolerance:.0%} of one of the pair's figures; "
        "FAIL = none met; IMPOSS = the figure is shorter than the straight line between the two towns, so no "
        "road can meet it (measured from a town's edge, or wrong) — not counted as a failure. "
        "'<' marks an upper bound."
    )
    return "\n".join([*lines, "", legend])
