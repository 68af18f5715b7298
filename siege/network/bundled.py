"""The bundled Mali network: a schematic national road network built from published facts.

No OpenStreetMap extract of Mali can be had where siege is developed, so ``networks/mali/`` holds
the project's own data (towns, the legs of each national road between located towns, published
road distances) and this module turns it into an OSM XML file, ``networks/mali/mali.osm.gz``,
that loads through the same osmnx path as real OSM data.

Lengths are calibrated, not straight lines (see ``networks/mali/README.md``):

1. a leg with a published road distance of its own (``legs.csv`` ``road_km``) has that length;
2. ``spans.csv`` lists published distances over chains of legs, in order; the part of a span not
   already fixed is shared among its other legs in proportion to their straight-line lengths;
3. any other leg is its straight line times :data:`DEFAULT_SINUOSITY`.

Each leg is drawn as a straight line between its two towns (the map shows which towns a road joins,
not its bends, which are not known) and carries its calibrated length in the tag ``siege:road_km``,
which becomes the edge's ``length`` when the network is loaded.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from siege import settings
from siege.errors import SiegeInputError
from siege.io import atomic_path
from siege.network.geometry import great_circle_m
from siege.places import Gazetteer, read_gazetteer

#: Road length / straight-line length for legs without any published distance. Published legs of
#: this network range from about 1.05 to 1.45; 1.2 is their typical value and the same ratio places interpolated towns.
DEFAULT_SINUOSITY = 1.2
#: The way tag that carries a leg's calibrated road length (km): the drawn line is straight
ROAD_KM_TAG = "siege:road_km"


@dataclass(frozen=True)
class Leg:
    """One road section between two network towns."""

    start: str
    end: str
    ref: str
    highway: str
    surface: str
    bridge: bool
    via: str
    road_km: float | None
    evidence: str
    notes: str
    #: ``ferry`` when the leg crosses a river by ferry (the RN39 at Korioumé)
    crossing: str = ""
    #: ``road`` for legs.csv; ``river`` for the reaches of river_reaches.csv
    mode: str = "road"


@dataclass(frozen=True)
class CalibratedLeg:
    """A leg with its calibrated road length and how that length was obtained."""

    leg: Leg
    straight_km: float
    road_km: float
    basis: str

    @property
    def estimated(self) -> bool:
        """Whether no published distance covers the leg (its length is straight line × the default)."""
        return self.basis.startswith("default")

    @property
    def sinuosity(self) -> float:
        """Road length over straight-line length."""
        return self.road_km / self.straight_km if self.straight_km else 1.0


def data_dir() -> Path:
    """Folder of the bundled Mali network data."""
    return settings.networks_dir() / settings.BUNDLED_NETWORK


def osm_path() -> Path:
    """Path of the generated OSM XML file of the bundled network."""
    return data_dir() / "mali.osm.gz"


def off_network_reasons() -> dict[str, str]:
    """Why each place the bundled network leaves out is left out (``off_network.csv``), by name."""
    path = data_dir() / "off_network.csv"
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["town"]: row["reason"] for row in csv.DictReader(f)}


def read_legs(path: Path) -> list[Leg]:
    """Read ``legs.csv``."""
    legs = []
    with path.open(newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                km = float(row["road_km"]) if row["road_km"] else None
            except ValueError:
                raise SiegeInputError(f"{path}, line {i}, field 'road_km'", "expected a number of km") from None
            legs.append(
                Leg(
                    start=row["from"],
                    end=row["to"],
                    ref=row["ref"],
                    highway=row["highway"],
                    surface=row["surface"],
                    bridge=row["bridge"] == "yes",
                    via=row["via"],
                    road_km=km,
                    evidence=row["evidence"],
                    notes=row["notes"],
                    crossing=row.get("crossing", ""),
                )
            )
    return legs


def read_river_reaches(path: Path) -> list[Leg]:
    """Read ``river_reaches.csv``: the navigable reaches between ports, downstream order."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Leg(
                start=row["from"],
                end=row["to"],
                ref=row["river"],
                highway="",
                surface="",
                bridge=False,
                via="",
                road_km=None,
                evidence=row["evidence"],
                notes=row["notes"],
                mode="river",
            )
            for row in csv.DictReader(f)
        ]


@dataclass(frozen=True)
class AirportRow:
    """An airport of ``airports.csv``: the town it serves, whether it is a hub, its payload a day."""

    town: str
    icao: str
    hub: bool
    payload_t_per_day: float
    basis: str


def read_airports(path: Path) -> list[AirportRow]:
    """Read ``airports.csv``."""
    if not path.exists():
        return []
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                payload = float(row["payload_t_per_day"])
            except ValueError:
                raise SiegeInputError(f"{path}, line {i}, field 'payload_t_per_day'", "expected tonnes a day") from None
            out.append(AirportRow(row["town"], row["icao"], row["hub"] == "yes", payload, row["basis"]))
    return out


def _straight_km(gaz: Gazetteer, a: str, b: str) -> float:
    pa, pb = gaz.get(a), gaz.get(b)
    return float(great_circle_m(pa.lat, pa.lon, pb.lat, pb.lon)) / 1000.0


#: River length / straight-line length for a reach no published total covers (none on the bundled
#: network: the Koulikoro–Gao total covers every reach)
RIVER_SINUOSITY = 1.3


def calibrate(
    legs: list[Leg], spans_path: Path, gaz: Gazetteer, *, default_sinuosity: float = DEFAULT_SINUOSITY
) -> list[CalibratedLeg]:
    """Give every leg a road length by the three rules of the module docstring."""
    key = {frozenset((leg.start, leg.end)): leg for leg in legs}
    straight = {k: _straight_km(gaz, leg.start, leg.end) for k, leg in key.items()}
    length: dict[frozenset[str], tuple[float, str]] = {
        k: (leg.road_km, f"published: {leg.evidence}") for k, leg in key.items() if leg.road_km is not None
    }
    with spans_path.open(newline="", encoding="utf-8") as f:
        spans = list(csv.DictReader(f))
    for i, span in enumerate(spans, start=2):
        towns = span["towns"].split(";")
        chain = [frozenset(p) for p in itertools.pairwise(towns)]
        unknown_legs = [k for k in chain if k not in key]
        if unknown_legs:
            raise SiegeInputError(f"{spans_path}, line {i}", f"no leg {'-'.join(sorted(unknown_legs[0]))} in legs.csv")
        fixed = sum(length[k][0] for k in chain if k in length)
        free = [k for k in chain if k not in length]
        if not free:
            continue
        rest = float(span["road_km"]) - fixed
        free_straight = sum(straight[k] for k in free)
        if rest < free_straight:
            raise SiegeInputError(
                f"{spans_path}, line {i}",
                f"{rest:.1f} km left for legs whose straight line is {free_straight:.1f} km",
            )
        for k in free:
            length[k] = (
                rest * straight[k] / free_straight,
                f"span: {span['towns'].replace(';', ' > ')} = {span['road_km']} km ({span['source']})",
            )
    out = []
    for k, leg in key.items():
        km, basis = length.get(k, (straight[k] * default_sinuosity, f"default: straight line × {default_sinuosity}"))
        out.append(CalibratedLeg(leg, straight[k], km, basis))
    return out


def _place_tag(kind: str) -> str:
    return {"capital": "city", "regional_capital": "city", "port_or_foreign_city": "city"}.get(kind, "town")


def build_osm_xml(directory: Path | None = None) -> tuple[str, list[CalibratedLeg]]:
    """Build the bundled network's OSM XML text (negative ids, as for objects not from OSM).

    Returns the XML and the calibrated legs. Deterministic: the same data gives the same bytes.
    """
    directory = directory or data_dir()
    gaz = read_gazetteer(directory / "places.csv")
    legs = calibrate(read_legs(directory / "legs.csv"), directory / "spans.csv", gaz)
    reaches = read_river_reaches(directory / "river_reaches.csv")
    if reaches:  # river km are calibrated on their own published total (Koulikoro–Gao)
        legs += calibrate(reaches, directory / "river_spans.csv", gaz, default_sinuosity=RIVER_SINUOSITY)
    airports = read_airports(directory / "airports.csv")
    town_node: dict[tuple[float, float], int] = {}
    town_names: dict[int, list[str]] = {}
    node_of: dict[str, int] = {}
    next_id = -1
    for cl in legs:
        for name in (cl.leg.start, cl.leg.end):
            place = gaz.get(name)
            if not place.located:
                raise SiegeInputError(f"{directory / 'legs.csv'}", f"town {name!r} has no position")
            pos = (place.lat, place.lon)
            if pos not in town_node:
                town_node[pos] = next_id
                town_names[next_id] = []
                next_id -= 1
            node_of[place.name] = town_node[pos]
            # every gazetteer place at this very position names the node (Didiéni and Kwala share one)
            for other in gaz.located():
                if (other.lat, other.lon) == pos and other.name not in town_names[town_node[pos]]:
                    town_names[town_node[pos]].append(other.name)
    ways = []
    for way_id, cl in enumerate(legs, start=1):
        a, b = gaz.get(cl.leg.start), gaz.get(cl.leg.end)
        refs = [node_of[a.name], node_of[b.name]]  # drawn straight: the road's length is a tag
        ways.append((-way_id, refs, cl))
    air_ways = _air_ways(airports, gaz, node_of, directory, first_id=-len(legs) - 1)

    out = io.StringIO()
    out.write("<?xml version='1.0' encoding='UTF-8'?>\n")
    out.write('<osm version="0.6" generator="siege bundled Mali network (schematic; see networks/mali/README.md)">\n')
    kinds = {p.name: p.kind for p in gaz}
    for (lat, lon), nid in town_node.items():
        names = town_names[nid]
        out.write(f'  <node id="{nid}" lat="{lat:.6f}" lon="{lon:.6f}" version="1">\n')
        out.write(f'    <tag k="name" v={quoteattr(";".join(names))}/>\n')
        out.write(f'    <tag k="place" v="{_place_tag(kinds[names[0]])}"/>\n')
        out.write("  </node>\n")
    for wid, refs, cl in ways:
        leg = cl.leg
        out.write(f'  <way id="{wid}" version="1">\n')
        out.writelines(f'    <nd ref="{r}"/>\n' for r in refs)
        if leg.mode == "road":
            tags = {"highway": leg.highway, "name": f"{leg.start} – {leg.end}", "surface": leg.surface}
        else:  # a river reach: a navigable waterway, tagged so for any reader of the file
            tags = {
                "waterway": "river",
                "boat": "yes",
                "siege:mode": leg.mode,
                "name": f"{leg.ref} {leg.start} – {leg.end}",
            }
        tags[ROAD_KM_TAG] = f"{cl.road_km:.3f}"
        if leg.crossing:
            tags["siege:crossing"] = leg.crossing
        if leg.ref:
            tags["ref"] = leg.ref
        if leg.bridge:
            tags["bridge"] = "yes"
        if leg.via:
            tags["note"] = f"via {leg.via}"
        if cl.estimated or leg.mode == "river":
            # no published distance covers this leg (a river reach: its share of the Koulikoro–Gao
            # total by straight line, no km between intermediate ports being published)
            tags["estimated"] = "yes"
        for k, v in tags.items():
            out.write(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n")
        out.write("  </way>\n")
    for wid, refs, tags in air_ways:
        out.write(f'  <way id="{wid}" version="1">\n')
        out.writelines(f'    <nd ref="{r}"/>\n' for r in refs)
        for k, v in tags.items():
            out.write(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n")
        out.write("  </way>\n")
    out.write("</osm>\n")
    return out.getvalue(), legs


def _air_ways(airports: list[AirportRow], gaz: Gazetteer, node_of: dict[str, int], directory: Path, *, first_id: int):
    """Air legs: every airport to each hub (both ways on one way), at the towns' nodes; the payload of
    a leg is the smaller of its airports'."""
    for ap in airports:
        if ap.town not in node_of:
            raise SiegeInputError(f"{directory / 'airports.csv'}", f"airport town {ap.town!r} is not on the network")
    hubs = [ap for ap in airports if ap.hub]
    ways, seen, wid = [], set(), first_id
    for ap in airports:
        for hub in hubs:
            pair = frozenset((ap.town, hub.town))
            if ap.town == hub.town or pair in seen:
                continue
            seen.add(pair)
            a, b = gaz.get(hub.town), gaz.get(ap.town)
            km = float(great_circle_m(a.lat, a.lon, b.lat, b.lon)) / 1000.0
            tags = {
                "aeroway": "air_leg",
                "siege:mode": "air",
                "name": f"air {hub.town} – {ap.town}",
                "siege:payload_t": f"{min(ap.payload_t_per_day, hub.payload_t_per_day):g}",
                ROAD_KM_TAG: f"{km:.3f}",
            }
            ways.append((wid, [node_of[hub.town], node_of[ap.town]], tags))
            wid -= 1
    return ways


def write_osm(path: Path | None = None, directory: Path | None = None) -> list[CalibratedLeg]:
    """Write the bundled network's OSM XML, gzip-compressed with a fixed timestamp (reproducible)."""
    text, legs = build_osm_xml(directory)
    path = path or osm_path()
    # no file name and a zero timestamp in the gzip header, so rebuilding gives the same bytes
    with (
        atomic_path(path) as tmp,
        tmp.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        gz.write(text.encode("utf-8"))
    return legs
