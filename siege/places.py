"""Places of Mali (gazetteer), lookup by name, and snapping onto a road network.

The gazetteer is the project's own data file ``networks/mali/places.csv`` (sources and licences in
``networks/mali/README.md``). Names match regardless of accents, case and punctuation
(``Ségou`` = ``segou``); an unknown name raises an error that suggests close matches.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Geod

from siege import settings
from siege.errors import SiegeInputError
from siege.validation import MAX_NAME_CHARS, show

if TYPE_CHECKING:
    import networkx as nx

_GEOD = Geod(ellps="WGS84")

#: Place kinds, from most to least important.
KINDS = ("capital", "regional_capital", "cercle_capital", "border_post", "road_town", "port_or_foreign_city")


@dataclass(frozen=True)
class Place:
    """A named place. ``lat``/``lon`` are ``None`` where no position is known."""

    name: str
    kind: str
    lat: float | None
    lon: float | None
    alt_names: tuple[str, ...] = ()
    region: str = ""
    population: int | None = None
    position: str = "published"  # published | interpolated | unknown
    position_rule: str = ""

    @property
    def located(self) -> bool:
        """Whether the place has a position."""
        return self.lat is not None and self.lon is not None

    @property
    def foreign(self) -> bool:
        """Whether the place lies outside Mali (its name carries a country code, e.g. ``(SN)``)."""
        return self.kind == "port_or_foreign_city" or bool(re.search(r"\([A-Z]{2}\)$", self.name))


def normalize_name(name: str) -> str:
    """Fold a place name for matching: no accents, lower case, single spaces, no punctuation."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


class Gazetteer:
    """An ordered collection of places with tolerant lookup by name."""

    def __init__(self, places: Iterable[Place], *, source: str = "") -> None:
        self.places: list[Place] = list(places)
        self.source = source
        self._index: dict[str, Place] = {}
        for place in self.places:
            for key in _keys(place):
                self._index.setdefault(key, place)

    def __iter__(self):
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._index

    def get(self, name: str, where: str | None = None) -> Place:
        """The place called ``name`` (any accents or case); raises with suggestions if unknown.

        ``where`` names the file and field the name came from, for the error message.
        """
        plausible = isinstance(name, str) and len(name) <= MAX_NAME_CHARS
        place = self._index.get(normalize_name(name)) if plausible else None
        if place is None:
            message = _unknown_message(name, self.suggest(name) if plausible else [])
            if where:
                raise SiegeInputError(where, f"{show(name)}: {message}")
            raise SiegeInputError(f"place {show(name)}", message)
        return place

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` place names close to ``name``."""
        matches = difflib.get_close_matches(normalize_name(name), list(self._index), n=n * 3, cutoff=0.6)
        names: list[str] = []
        for key in matches:
            if self._index[key].name not in names:
                names.append(self._index[key].name)
        return names[:n]

    def located(self) -> list[Place]:
        """The places that have a position."""
        return [p for p in self.places if p.located]


def _keys(place: Place) -> list[str]:
    names = [place.name, *place.alt_names]
    # "Dakar (SN)" is also found as "Dakar"; "Kourémalé (Mali)" as "Kourémalé"
    names += [re.sub(r"\s*\([^)]*\)$", "", n) for n in names]
    return [k for k in dict.fromkeys(normalize_name(n) for n in names) if k]


def _unknown_message(name: str, suggestions: list[str]) -> str:
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    return f"unknown place (expected a name from the gazetteer){hint}"


def read_gazetteer(path: str | Path) -> Gazetteer:
    """Read a gazetteer CSV (columns as in ``networks/mali/places.csv``).

    Rows with ``position = interpolated`` get their position from the documented rule in the row:
    ``offset_km`` along the great circle from ``anchor`` toward ``toward``.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise SiegeInputError(str(path), "no such file (expected a gazetteer CSV)") from None
    places: dict[str, Place] = {}
    pending: list[dict[str, str]] = []
    for i, row in enumerate(rows, start=2):
        try:
            lat = float(row["lat"]) if row.get("lat") else None
            lon = float(row["lon"]) if row.get("lon") else None
            pop = int(row["population"]) if row.get("population") else None
        except ValueError as err:
            raise SiegeInputError(f"{path}, line {i}", f"lat/lon/population must be numbers ({err})") from None
        if row.get("kind") not in KINDS:
            raise SiegeInputError(f"{path}, line {i}, field 'kind'", f"expected one of {', '.join(KINDS)}")
        place = Place(
            name=row["name"],
            kind=row["kind"],
            lat=lat,
            lon=lon,
            alt_names=tuple(a.strip() for a in row.get("alt_names", "").split(";") if a.strip()),
            region=row.get("region", ""),
            population=pop,
            position=row.get("position") or ("published" if lat is not None else "unknown"),
            position_rule=row.get("position_rule", ""),
        )
        places[place.name] = place
        if place.position == "interpolated":
            pending.append(row)
    for row in pending:
        lat, lon = _interpolate(path, row, places)
        old = places[row["name"]]
        places[old.name] = Place(**{**old.__dict__, "lat": round(lat, 5), "lon": round(lon, 5)})
    return Gazetteer(places.values(), source=str(path))


def _interpolate(path: Path, row: dict[str, str], places: dict[str, Place]) -> tuple[float, float]:
    """Position of an interpolated place by the rule in its row.

    ``anchor`` + ``offset_km`` + ``toward``: that many km along the great circle toward ``toward``.
    ``anchor`` + ``offset_km`` + ``anchor2`` + ``offset2_km`` + ``side``: the point at both
    distances (where two published distances agree), on the side of the town ``side``.
    """
    where = f"{path}, place {row['name']!r}"
    names = [row["anchor"], row.get("toward") or row.get("anchor2", ""), *([row["side"]] if row.get("side") else [])]
    refs = [places.get(n) for n in names]
    if any(p is None or not p.located for p in refs):
        raise SiegeInputError(where, "interpolation needs located 'anchor' and 'toward' (or 'anchor2') places")
    try:
        r1 = float(row["offset_km"]) * 1000.0
        r2 = float(row["offset2_km"]) * 1000.0 if row.get("anchor2") else None
    except ValueError:
        raise SiegeInputError(where, "offset_km/offset2_km must be numbers of km") from None
    a, b = refs[0], refs[1]
    if r2 is None:
        azimuth, _, _ = _GEOD.inv(a.lon, a.lat, b.lon, b.lat)
        lon, lat, _ = _GEOD.fwd(a.lon, a.lat, azimuth, r1)
        return lat, lon
    # circle intersection in the azimuthal frame of the anchor (distances of ~100 km)
    azimuth, _, d = _GEOD.inv(a.lon, a.lat, b.lon, b.lat)
    if not abs(r1 - r2) <= d <= r1 + r2:
        raise SiegeInputError(
            where, f"no point lies {r1 / 1000:.1f} km from {a.name} and {r2 / 1000:.1f} km from {b.name}"
        )
    along = (r1**2 - r2**2 + d**2) / (2 * d)
    angle = np.degrees(np.arccos(np.clip(along / r1, -1.0, 1.0)))
    side = refs[2]
    candidates = [_GEOD.fwd(a.lon, a.lat, azimuth + sign * angle, r1)[:2] for sign in (1, -1)]
    lon, lat = min(candidates, key=lambda c: _GEOD.inv(c[0], c[1], side.lon, side.lat)[2])
    return lat, lon


def gazetteer_for(G: nx.MultiDiGraph) -> Gazetteer:
    """The places a scenario on ``G`` may name: the extract's own place nodes (``place`` = city,
    town or village, by ``name``, ``name:fr`` or ``name:en``), merged with Mali's gazetteer when the
    extract reaches Mali; Mali's gazetteer alone for the bundled network and extracts without places.

    A place node tagged ``capital=yes`` or ``capital=2`` is the country's capital; ``capital`` 3–6
    (a region's or province's seat) and ``place=city`` are regional capitals (regional depots). On an
    extract reaching Mali, Mali's capitals stay the default towns and the extract's other places can
    be named."""
    raw = G.graph.get("places")
    if not raw or G.graph.get("schematic"):  # the bundled network is drawn from Mali's gazetteer itself
        return mali_gazetteer()
    places = [_data_place(p) for p in json.loads(raw)]
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    west, south, east, north = settings.MALI_BOUNDS
    covers_mali = bool(xs) and min(xs) <= east and max(xs) >= west and min(ys) <= north and max(ys) >= south
    if covers_mali:
        # Mali's capitals stay the default towns; the extract's other places can be named
        mali = mali_gazetteer()
        extra = [replace(p, kind="road_town") for p in places if p.name not in mali]
        places = [*mali, *extra]
        return Gazetteer(places, source=f"{mali.source} + place nodes of {G.graph.get('source', 'the extract')}")
    return Gazetteer(places, source=f"place nodes of {G.graph.get('source', 'the extract')}")


def _data_place(p: dict) -> Place:
    capital = str(p.get("capital") or "").strip().lower()
    kind = p.get("kind") or "village"
    if capital in ("yes", "2"):
        kind = "capital"
    elif capital in ("3", "4", "5", "6") or kind == "city":
        kind = "regional_capital"
    population = None
    digits = re.sub(r"[\s,.']", "", str(p.get("population") or ""))
    if digits.isdigit():
        population = int(digits)
    return Place(
        str(p["name"])[:MAX_NAME_CHARS],
        kind,
        float(p["lat"]),
        float(p["lon"]),
        tuple(dict.fromkeys(str(n)[:MAX_NAME_CHARS] for n in p.get("alt_names", []) if n != p["name"])),
        population=population,
        position="OSM",
    )


@cache
def mali_gazetteer() -> Gazetteer:
    """The bundled gazetteer of Mali and the foreign towns on its import corridors."""
    return read_gazetteer(settings.networks_dir() / settings.BUNDLED_NETWORK / "places.csv")


@dataclass(frozen=True)
class SnappedPlace:
    """A place and the network node nearest to it; ``node`` is ``None`` beyond the snap limit."""

    place: Place
    node: int | None
    snap_km: float | None

    @property
    def snapped(self) -> bool:
        """Whether the place was snapped onto the network."""
        return self.node is not None


#: osmnx's Earth radius (``osmnx.distance.EARTH_RADIUS_M``), metres
EARTH_RADIUS_M = 6_371_009
_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere for lon/lat degrees: the straight (chord) distance between two of
    them grows with their great-circle distance, so a k-d tree over them finds the nearest point on
    the sphere."""
    lon, lat = np.deg2rad(np.asarray(lon, dtype=float)), np.deg2rad(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


class SphereTree:
    """Nearest of a set of lon/lat points, on the sphere (scipy's cKDTree over unit vectors)."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self._tree = cKDTree(unit_vectors(lon, lat))

    def query(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of the nearest point for each lon/lat, and its great-circle distance in metres."""
        chord, pos = self._tree.query(unit_vectors(lon, lat), k=1)
        angle = 2.0 * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))
        return np.asarray(pos, dtype=np.int64), angle * EARTH_RADIUS_M


def nearest_nodes(G: nx.MultiDiGraph, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of ``G`` (and the great-circle distance in metres) for each lon/lat point: what
    ``osmnx.distance.nearest_nodes`` answers for an unprojected graph, with the tree built once per
    graph (the graph is never mutated)."""
    if G not in _TREES:
        ids = np.fromiter(G.nodes, dtype=np.int64, count=len(G))
        lat = np.array([G.nodes[n]["y"] for n in ids.tolist()], dtype=float)
        lon = np.array([G.nodes[n]["x"] for n in ids.tolist()], dtype=float)
        _TREES[G] = (ids, SphereTree(lon, lat))
    ids, tree = _TREES[G]
    pos, metres = tree.query(xs, ys)
    return ids[pos], metres


def snap_places(
    G: nx.MultiDiGraph, places: Iterable[Place], *, max_snap_km: float = settings.MAX_SNAP_KM
) -> list[SnappedPlace]:
    """Snap each located place to its nearest node of ``G``, keeping the distance.

    Places further than ``max_snap_km`` from every node, and places without a position, are
    returned with ``node=None`` so that callers report them instead of silently snapping.
    """
    places = list(places)
    located = [p for p in places if p.located]
    result: dict[str, SnappedPlace] = {p.name: SnappedPlace(p, None, None) for p in places}
    if located and len(G):
        xs = np.array([p.lon for p in located], dtype=float)
        ys = np.array([p.lat for p in located], dtype=float)
        nodes, dists = nearest_nodes(G, xs, ys)
        for place, node, dist in zip(located, nodes, dists, strict=True):
            km = float(dist) / 1000.0
            result[place.name] = SnappedPlace(place, int(node) if km <= max_snap_km else None, round(km, 3))
    return [result[p.name] for p in places]
