"""Administrative areas: which region and cercle (admin 1 and 2, with OCHA P-codes) a town lies in.

The bundled areas are Mali's cercles (``networks/mali/admin2.geojson``: geoBoundaries gbOpen MLI ADM2,
CC BY 4.0, joined by name to OCHA's P-codes of the COD-AB valid from 2021-12-20; sources in
``networks/mali/README.md``). They apply to any network: a town outside every polygon (a foreign
city, an extract elsewhere) has no area, never a guessed one. ``--admin FILE`` (or ``admin = "FILE"``
in a scenario) gives other polygons, e.g. another country's COD-AB admin-2 layer.

P-codes mean something only with the COD version they come from, so every unit carries its
``cod_version`` and every table that writes a code writes the version beside it.

A town is placed by ``covers`` (a point on a border still gets a polygon). One bundled polygon stands
for more than its name: geoBoundaries' "Menaka" is the pre-2016 Ménaka cercle, which became region
ML10 with four cercles. Only a town at its seat is keyed to ML1001; any other town in it gets the
region alone (``adm2_scope = "seat"`` in the file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from siege import settings
from siege.errors import SiegeInputError

#: the columns every town table gains, in order
ADMIN_COLUMNS = ("adm1_name", "adm1_pcode", "adm2_name", "adm2_pcode", "cod_version")

#: a town this close to the seat of an ``adm2_scope = "seat"`` polygon is keyed to its admin-2 code
SEAT_RADIUS_KM = 20.0

#: names the columns may have in a user's file (siege's own first, then OCHA COD-AB's)
_ALIASES = {
    "adm1_name": ("adm1_name", "ADM1_EN", "ADM1_FR", "admin1Name_en", "admin1Name_fr", "admin1Name"),
    "adm1_pcode": ("adm1_pcode", "ADM1_PCODE", "admin1Pcode"),
    "adm2_name": ("adm2_name", "ADM2_EN", "ADM2_FR", "admin2Name_en", "admin2Name_fr", "admin2Name", "shapeName"),
    "adm2_pcode": ("adm2_pcode", "ADM2_PCODE", "admin2Pcode"),
    "cod_version": ("cod_version", "validOn", "VALIDON", "date"),
}


@dataclass(frozen=True)
class AdminUnit:
    """The region and cercle of a place, with their P-codes and the COD version of those codes."""

    adm1_name: str
    adm1_pcode: str
    adm2_name: str
    adm2_pcode: str
    cod_version: str

    def columns(self) -> dict[str, str]:
        """The table columns of :data:`ADMIN_COLUMNS`."""
        return asdict(self)


#: the columns of a place in no area
NO_AREA = dict.fromkeys(ADMIN_COLUMNS, "")


def columns_of(unit: AdminUnit | None) -> dict[str, str]:
    """The admin columns of a place (empty texts when it lies in no area)."""
    return unit.columns() if unit is not None else dict(NO_AREA)


class AdminAreas:
    """Admin-2 polygons with their units; :meth:`locate` answers which one covers a point."""

    def __init__(
        self,
        units: list[AdminUnit],
        geometries: list,
        *,
        source: str,
        attribution: str = "",
        seats: list[tuple[float, float] | None] | None = None,
    ) -> None:
        self.units = units
        self.geometries = geometries
        self.source = source
        self.attribution = attribution
        self._seats = seats or [None] * len(units)
        self._tree = shapely.STRtree(geometries)

    def __len__(self) -> int:
        return len(self.units)

    @property
    def versions(self) -> list[str]:
        """The COD versions of the codes, once each."""
        return list(dict.fromkeys(u.cod_version for u in self.units if u.cod_version))

    def locate(self, lon: float | None, lat: float | None) -> AdminUnit | None:
        """The unit whose polygon covers the point, or ``None`` (no position, or in no polygon)."""
        if lon is None or lat is None:
            return None
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="covered_by")
        if not len(hits):
            return None
        i = int(np.min(hits))  # a point on a border: the first polygon of the file, every time
        unit, seat = self.units[i], self._seats[i]
        if seat is not None and _km(lon, lat, *seat) > SEAT_RADIUS_KM:
            return AdminUnit(unit.adm1_name, unit.adm1_pcode, "", "", unit.cod_version)
        return unit

    def polygons(self) -> list[tuple[AdminUnit, object]]:
        """Each polygon with its unit (for the map's cercle layer)."""
        return list(zip(self.units, self.geometries, strict=True))


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6371.009 * np.arcsin(np.sqrt(h)))


@cache
def bundled_admin() -> AdminAreas:
    """Mali's cercles with OCHA P-codes (``networks/mali/admin2.geojson``)."""
    path = settings.networks_dir() / settings.BUNDLED_NETWORK / "admin2.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    units, geoms, seats = [], [], []
    for f in data["features"]:
        p = f["properties"]
        units.append(AdminUnit(*(p[c] for c in ADMIN_COLUMNS)))
        geoms.append(shape(f["geometry"]))
        seats.append((p["seat_lon"], p["seat_lat"]) if p.get("adm2_scope") == "seat" else None)
    return AdminAreas(
        units, geoms, source="networks/mali/admin2.geojson", attribution=data.get("attribution", ""), seats=seats
    )


def read_admin(path: str | Path) -> AdminAreas:
    """Admin-2 polygons from a GeoJSON or GeoPackage file: columns ``adm1_name, adm1_pcode, adm2_name,
    adm2_pcode, cod_version`` (or OCHA COD-AB's ``ADM1_EN, ADM1_PCODE, ADM2_EN, ADM2_PCODE, validOn``).
    Without a version column the codes are marked as of that file."""
    import geopandas as gpd

    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise SiegeInputError(where, "no such file (expected admin polygons as GeoJSON or GeoPackage)")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own kinds for every unreadable format
        raise SiegeInputError(where, f"cannot be read as GeoJSON or GeoPackage ({type(err).__name__})") from None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    found = {c: next((a for a in names if a in frame.columns), None) for c, names in _ALIASES.items()}
    if found["adm2_pcode"] is None and found["adm1_pcode"] is None:
        raise SiegeInputError(
            f"{where}: adm2_pcode", "no P-code column (expected adm2_pcode or ADM2_PCODE, and the admin-1 ones)"
        )
    units, geoms = [], []
    for i, row in enumerate(frame.itertuples(index=False)):
        geom = row.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise SiegeInputError(f"{where}: feature {i + 1}", "expected a polygon")
        values = {c: "" if col is None else str(getattr(row, col) or "") for c, col in found.items()}
        if found["cod_version"] in ("validOn", "VALIDON", "date") and values["cod_version"]:
            values["cod_version"] = f"valid from {values['cod_version'][:10]}"
        values["cod_version"] = values["cod_version"] or f"as in {path.name}"
        units.append(AdminUnit(*(values[c] for c in ADMIN_COLUMNS)))
        geoms.append(geom)
    if not units:
        raise SiegeInputError(where, "no polygons (expected admin-2 areas)")
    return AdminAreas(units, geoms, source=where, attribution=f"admin areas: {path.name}")
