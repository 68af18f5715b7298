"""``control_zone``: an area an armed group controls; every segment crossing it is hit.

Fields: ``polygon`` (a GeoJSON geometry as a TOML table, lon/lat), ``polygon_file`` (a GeoJSON file,
relative to the scenario file), or ``towns = [...]`` with ``radius_km`` (default 25) around each.
Default effect: capacity ×0.5 and risk 0.3 (traffic taxed, searched and sometimes stopped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from shapely.geometry import shape

from siege import validation
from siege.errors import SiegeInputError
from siege.scenario.context import EdgeKey, NetworkContext
from siege.scenario.effects import Effect
from siege.scenario.events.base import Event, Fields


class ControlZone(Event):
    KIND: ClassVar[str] = "control_zone"
    FIELDS: ClassVar[tuple[str, ...]] = ("polygon", "polygon_file", "towns", "radius_km")
    DEFAULT_EFFECT: ClassVar[Effect] = Effect(capacity_factor=0.5, risk=0.3)
    DEFAULT_RADIUS_KM: ClassVar[float] = 25.0

    @classmethod
    def select(cls, f: Fields, ctx: NetworkContext) -> tuple[str, set[EdgeKey], dict[str, Any]]:
        given = [k for k in ("polygon", "polygon_file", "towns") if f.has(k)]
        if len(given) != 1:
            raise SiegeInputError(f.where, "give exactly one of polygon, polygon_file or towns")
        if f.has("towns"):
            radius = f.number("radius_km", cls.DEFAULT_RADIUS_KM, maximum=validation.MAX_RADIUS_KM)
            edges: set[EdgeKey] = set()
            circles = []
            for name in f.names("towns"):
                place = ctx.gazetteer.get(name, f.at("towns"))
                if not place.located:
                    raise SiegeInputError(f.at("towns"), f"{place.name} has no known position")
                edges |= ctx.within(place.lon, place.lat, radius)
                circles.append((place.lon, place.lat, radius))
            towns = ", ".join(f.names("towns"))
            return f"control zone around {towns}", edges, {"circles": tuple(circles)}
        if f.has("polygon"):
            geom = _geometry(f.raw["polygon"], f.at("polygon"))
        else:
            geom = _geometry_file(Path(f.text("polygon_file")), f, ctx)
        west, south, east, north = geom.bounds
        ctx.check_in_extent((west + east) / 2, (south + north) / 2, max(east - west, north - south) * 111, f.where)
        return "control zone", ctx.intersecting(geom), {"polygon": geom.__geo_interface__}


def _geometry(value: Any, where: str):
    try:
        geom = shape(value)
    except Exception:  # shapely raises several kinds on a malformed mapping
        raise SiegeInputError(
            where, 'expected a GeoJSON geometry table {type = "Polygon", coordinates = [...]}'
        ) from None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
        raise SiegeInputError(where, "expected a valid Polygon or MultiPolygon in lon/lat")
    return geom


def _geometry_file(path: Path, f: Fields, ctx: NetworkContext):
    import geopandas as gpd

    base = Path(f.where.split(":")[0]).parent
    full = path if path.is_absolute() else base / path
    if not full.is_file():
        raise SiegeInputError(f.at("polygon_file"), f"no such file {full} (expected a GeoJSON polygon)")
    try:
        geom = gpd.read_file(full).to_crs(4326).geometry.union_all()
    except Exception as err:  # pyogrio raises several kinds on a bad file
        raise SiegeInputError(f.at("polygon_file"), f"not a readable GeoJSON file ({err})") from None
    return _geometry(geom.__geo_interface__, f.at("polygon_file"))
