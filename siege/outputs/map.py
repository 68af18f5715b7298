"""The HTML map of a run: a single self-contained file that works with no internet.

Leaflet and its styles come inlined from the ``folium-offline`` package (a folium build with its web
assets embedded). siege's own drawing code (``map_assets/siege-map.js``) builds every layer in the
browser from the run's data, embedded as JSON; all scenario and data text reaches the page through
``textContent``, so a note like ``<script>alert(1)</script>`` shows as text and runs nothing.
OpenStreetMap tiles are an optional base layer; the default is a plain background.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import offlinefolium as folium
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from siege import settings
from siege.analyses.isolation import RunResult
from siege.io import atomic_path, write_text_atomic
from siege.network import modes
from siege.network.attributes import is_estimated, road_class
from siege.network.geometry import path_coords
from siege.solver.status import STATUSES, severity

_STATE_ORDER = {"open": 0, "degraded": 1, "attacked": 2, "closed": 3}


def _asset(name: str) -> str:
    return resources.files("siege.outputs").joinpath("map_assets", name).read_text(encoding="utf-8")


def _borders(G, name: str = "borders.geojson") -> list[dict]:
    """Country outlines (Natural Earth via world-atlas, ``networks/mali/borders.geojson``) or rivers
    (``rivers.geojson``) that reach the network's area: drawn under the roads so the country is
    recognisable. None elsewhere."""
    from siege.network import bundled

    path = bundled.data_dir() / name
    if not path.exists() or not len(G):
        return []
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    west, east, south, north = min(xs) - 2, max(xs) + 2, min(ys) - 2, max(ys) + 2
    out = []
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        coords = [c for poly in _polygons(f["geometry"]) for ring in poly for c in ring]
        if not coords:
            continue
        lon, lat = [c[0] for c in coords], [c[1] for c in coords]
        if min(lon) < east and max(lon) > west and min(lat) < north and max(lat) > south:
            out.append(f)
    return out


def _polygons(geometry: dict) -> list:
    """Lists of rings (polygons) or of lines, whatever the geometry, for bounding boxes."""
    kind, coords = geometry["type"], geometry.get("coordinates", [])
    if kind == "Polygon":
        return [coords]
    if kind == "LineString":
        return [[coords]]
    if kind == "MultiLineString":
        return [coords]
    return coords if kind == "MultiPolygon" else []


def _round(coords, digits: int = 5) -> list[list[float]]:
    points = np.asarray(coords, dtype=float)
    return np.round(points[:, :2], digits).tolist() if points.ndim == 2 and len(points) else []


class DrawnRoads:
    """The road segments a page draws, by their position in its ``roads`` features, and where each edge
    is drawn: a step's states are found from the edges something acts on, never by a pass over every
    road. ``base``: the roads drawn first (shared, never changed), this one's own come after them."""

    def __init__(
        self, groups: list[list[tuple[int, int, int]]], *, base: DrawnRoads | None = None, light: bool = False
    ) -> None:
        #: a large network's page: lines simplified to ~10 m (see :func:`road_features`)
        self.light = base.light if base is not None else light
        self.base = base
        self.start = len(base) if base is not None else 0
        self.own: list[list[tuple[int, int, int]]] = []
        self.index: dict[tuple[int, int, int], int] = {}
        self.extend(groups)

    def __len__(self) -> int:
        return self.start + len(self.own)

    @property
    def groups(self) -> list[list[tuple[int, int, int]]]:
        """Every drawn segment's edges, in drawing order."""
        return [*(self.base.groups if self.base is not None else ()), *self.own]

    def group(self, i: int) -> list[tuple[int, int, int]]:
        return self.own[i - self.start] if i >= self.start else self.base.group(i)

    def position(self, key) -> int | None:
        """Where the segment of edge ``key`` is drawn (None: not drawn)."""
        i = self.index.get(key)
        return i if i is not None or self.base is None else self.base.position(key)

    def extend(self, groups) -> list[int]:
        """Draw the segments of ``groups`` not drawn yet (after the others); returns their positions."""
        added = []
        for keys in groups:
            if self.position(keys[0]) is None:
                added.append(len(self))
                self.own.append(keys)
                self.index.update({key: added[-1] for key in keys})
        return added

    def states(self, deg) -> dict[str, dict[str, Any]]:
        """A step's road states, only for roads that are not open (position -> state): a national map
        would otherwise repeat "open" for every road on every step."""
        hit = sorted({i for i in map(self.position, deg.effects) if i is not None})
        out = {}
        for i in hit:
            st = _road_state_of(deg, self.group(i))
            if st["state"] != "open":
                out[str(i)] = st
        return out


def drawn_roads(result: RunResult) -> DrawnRoads:
    """The roads a run's page draws: edges grouped into two-way road segments (both directions of one
    way drawn once); on a network of more than ``MAP_MAX_ROADS`` segments, only those worth drawing
    (major roads, roads an event touches, every town's route and chokepoints), their lines lighter."""
    groups: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for u, v, k in result.scenario.G.edges(keys=True):
        groups.setdefault((min(u, v), max(u, v), k), []).append((u, v, k))
    out = list(groups.values())
    if len(out) <= settings.MAP_MAX_ROADS:
        return DrawnRoads(out)
    G = result.scenario.G
    kept = {k for e in result.scenario.events for k in e.edges}
    kept |= {k for t in result.towns for k in (*t.route_edges, *t.chokepoint_edges)}
    worth = [
        keys
        for keys in out
        if road_class(G.edges[keys[0]].get("highway")) in settings.MAP_MAJOR_CLASSES or any(k in kept for k in keys)
    ]
    return DrawnRoads(worth, light=True)


def touched_groups(result: RunResult, drawn: DrawnRoads) -> list[list[tuple[int, int, int]]]:
    """The segments a run needs drawn that ``drawn`` does not hold: those an event touches and every
    town's route and chokepoints (on a large network the others may be left undrawn)."""
    G = result.scenario.G
    keys = {k for e in result.scenario.events for k in e.edges}
    keys |= {k for t in result.towns for k in (*t.route_edges, *t.chokepoint_edges)}
    out: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for u, v, k in sorted(keys):
        if drawn.position((u, v, k)) is None:
            out.setdefault((min(u, v), max(u, v), k), [e for e in ((u, v, k), (v, u, k)) if G.has_edge(*e)])
    return list(out.values())


def summary_of_hidden(result: RunResult, groups) -> str:
    """In words, the minor roads a large network's map does not draw."""
    G = result.scenario.G
    total = {(min(u, v), max(u, v), k) for u, v, k in G.edges(keys=True)}
    drawn = {(min(u, v), max(u, v), k) for keys in groups for u, v, k in keys}
    hidden = total - drawn
    if not hidden:
        return ""
    km = sum(G.edges[key]["length"] for key in hidden if G.has_edge(*key)) / 1000
    return (
        f"{len(hidden):,} minor road segments ({km:,.0f} km: secondary and below, untouched by any event and on no "
        "town's route) are not drawn, to keep the map light; they are in the run's tables."
    )


def _map_state(deg, key) -> str:
    """A road's state as the map draws it: ``attacked`` is a degraded road under threat (risk > 0),
    passable at a risk, drawn apart from ``closed``."""
    state = deg.state(key)
    effect = deg.effects.get(key)
    return "attacked" if state == "degraded" and effect is not None and effect.risk > 0 else state


def _road_state_of(deg, keys) -> dict[str, Any]:
    worst = max(keys, key=lambda key: _STATE_ORDER[_map_state(deg, key)])
    effect = deg.effects.get(worst)
    events = sorted({c for key in keys for c in deg.causes.get(key, ())})
    return {"state": _map_state(deg, worst), "effect": effect.describe() if effect else "none", "events": events}


#: a town's road-solver fields, shown on the evaluated day of a timeline's slider
_ROAD_FIELDS = (
    "hours_from_imports",
    "travel_time_ratio",
    "route_survival",
    "cut_off_from_imports",
    "cut_off_from_capital",
)


def _town_state(t, units: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "status": t.status,
        "served_fraction": t.served_fraction,
        # in the worst commodity's units: units of different commodities are never added
        "commodity": t.commodity,
        "unit": (units or {}).get(t.commodity, "trucks/day"),
        "demand": t.demand,
        "throughput": t.throughput,
        "hours_from_imports": t.hours_from_imports,
        "travel_time_ratio": t.travel_time_ratio,
        "route_survival": t.route_survival,
        "cut_off_from_imports": t.cut_off_from_imports,
        "cut_off_from_capital": t.cut_off_from_capital,
    }


def _line(G, keys) -> list[list[float]]:
    return _round(path_coords(G, keys))


def _named(result: RunResult, keys, *, limit: int = 12) -> list[str]:
    names = list(dict.fromkeys(result.edge_label(k) for k in keys))
    return names[:limit] + ([f"… and {len(names) - limit} more"] if len(names) > limit else [])


def _event_data(result: RunResult, event) -> dict[str, Any]:
    G = result.scenario.G
    details = dict(event.details)
    circles = [{"lon": lon, "lat": lat, "radius_m": r * 1000} for lon, lat, r in details.get("circles", ())]
    pairs = {(min(u, v), max(u, v), k): (u, v, k) for u, v, k in sorted(event.edges)}
    segments = [_line(G, [key]) for key in pairs.values()]
    if circles:  # the symbol sits on the circle's northern edge, clear of the town it surrounds
        anchor = [circles[0]["lon"], circles[0]["lat"] + circles[0]["radius_m"] / 111_000]
    elif "point" in details and not event.edges:  # an event on a town: its symbol just north of it
        anchor = [details["point"][0], details["point"][1] + 0.12]
    elif "point" in details:
        anchor = list(details["point"])
    elif segments:
        mid = segments[0][len(segments[0]) // 2]
        anchor = mid
    else:  # an event on towns without a position of its own (rationing everywhere): at the capital
        capital = next((t for t in result.towns if t.town == result.scenario.capital), None)
        anchor = (
            [capital.lon, capital.lat]
            if capital
            else [G.nodes[next(iter(G.nodes))]["x"], G.nodes[next(iter(G.nodes))]["y"]]
        )
    return {
        "kind": event.kind,
        "label": event.label,
        "window": event.window(),
        "active": event.active_on(result.day),
        "effect": event.describe(),
        "segments": segments if not circles and "polygon" not in details else [],
        "segments_hit": len(pairs),
        # named as the tables name them (ref and the towns at each end), at most 12 then a count
        "segment_names": _named(result, list(pairs.values())),
        "circles": circles,
        "polygon": details.get("polygon"),
        "anchor": anchor,
        "source": event.source,
        "note": event.note,
        "mode": details.get("mode", "road"),
    }


def _timeline_steps(timeline, result: RunResult, drawn: DrawnRoads, *, max_steps: int = 60) -> list[dict[str, Any]]:
    """Slider steps from a run through time: every day the events change, weekly days, the last day."""
    from siege.scenario import degrade

    s = timeline.scenario
    all_days = sorted(set(timeline.frame["date"]))
    changes = {d for d in all_days for e in s.events if d in (e.start, e.end)}
    evaluated = {result.day} & set(all_days)  # the slider opens there
    days = sorted({*all_days[::7], *changes, all_days[-1], *evaluated})
    if len(days) > max_steps:
        days = sorted({*days[:: max(1, len(days) // max_steps)], all_days[-1], *evaluated})
    wanted = set(days)
    rows_of: dict[tuple, list[dict]] = {}  # (day, town) -> its commodities' rows (records, not pandas rows)
    frame = timeline.frame
    columns = ["date", "town", "commodity", "served_fraction", "status", "demand", "inflow", "short", "stock_days"]
    # the slider's days and the columns it shows only: records of the whole period cost more than the rest
    shown = frame.loc[frame["date"].isin(wanted), columns]
    # records zipped from whole columns (Python values, as to_dict gives): pandas boxes value by value
    for values in zip(*(shown[c].tolist() for c in columns), strict=True):
        rec = dict(zip(columns, values, strict=True))
        rows_of.setdefault((rec["date"], rec["town"]), []).append(rec)
    names = [t.town for t in result.towns]
    units = {c.name: c.unit for c in s.commodities}
    steps = []
    for day in days:
        deg = degrade(s.events, day)
        towns = []
        by_name = {t.town: t for t in result.towns}
        for n in names:
            recs = rows_of[(day, n)]
            worst = min(recs, key=lambda c: c["served_fraction"])  # the first commodity on a tie
            towns.append(
                {
                    "status": max((c["status"] for c in recs), key=STATUSES.index),
                    "served_fraction": float(worst["served_fraction"]),
                    # the worst commodity's arrivals that day, in its units (a convoy's pulse included)
                    "commodity": worst["commodity"],
                    "unit": units.get(worst["commodity"], "trucks/day"),
                    "demand": float(worst["demand"]),
                    "throughput": float(worst["inflow"]),
                    "short": any(bool(c["short"]) for c in recs),
                    # hours, survival and cut-offs are the road solver's: known for the evaluated day
                    **(
                        {k: v for k, v in _town_state(by_name[n]).items() if k in _ROAD_FIELDS}
                        if day == result.day and n in by_name
                        else {}
                    ),
                    "commodities": [
                        {
                            "name": c["commodity"],
                            "unit": units.get(c["commodity"], "trucks/day"),
                            "demand": float(c["demand"]),
                            "inflow": float(c["inflow"]),
                            "stock_days": None
                            if c["stock_days"] is None or c["stock_days"] != c["stock_days"]
                            else float(c["stock_days"]),
                            "status": c["status"],
                            "short": bool(c["short"]),
                        }
                        for c in recs
                    ],
                }
            )
        steps.append({"date": str(day), "roads": drawn.states(deg), "towns": towns})
    return steps


def road_features(result: RunResult, drawn: DrawnRoads, positions=None, *, light: bool) -> list[dict[str, Any]]:
    """The drawn roads as GeoJSON features (those at ``positions``, else all), with their state on the
    evaluated day; ``light`` (a large network) simplifies their lines to ~10 m."""
    import shapely

    G = result.scenario.G
    states = drawn.states(result.degradation)
    where = list(range(len(drawn)) if positions is None else positions)
    data = [G.edges[drawn.group(i)[0]] for i in where]
    # every line at once (simplified, rounded, split back per road): no shapely call per road
    lines = np.array([d["geometry"] for d in data], dtype=object)
    if light and len(lines):
        lines = shapely.simplify(lines, settings.MAP_SIMPLIFY_DEG)
    points, owner = shapely.get_coordinates(lines, return_index=True) if len(lines) else (np.empty((0, 2)), [])
    points = np.round(points, 4 if light else 5)
    bounds = np.searchsorted(np.asarray(owner), np.arange(len(where) + 1))
    out = []
    for n, (i, d) in enumerate(zip(where, data, strict=True)):
        keys = drawn.group(i)
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": points[bounds[n] : bounds[n + 1]].tolist()},
                "properties": {
                    "label": result.edge_label(keys[0]),
                    "ref": ";".join(d.get("ref", [])),
                    "name": d.get("name") if isinstance(d.get("name"), str) else None,
                    "road_class": road_class(d.get("highway")),
                    "surface": d.get("surface"),
                    "length_km": round(d["length"] / 1000, 1),
                    # no published distance: the length is the documented estimate (drawn dashed)
                    "estimated": is_estimated(d),
                    "state": states.get(str(i), {"state": "open"})["state"],
                    # road, ferry, river (a reach of the Niger), air (a flight leg); a road may cross by ferry
                    "mode": d.get("mode", "road"),
                    "ferry": modes.crosses_by_ferry(d) or d.get("mode") == "ferry",
                    "payload_t": d.get("payload_t"),
                },
            }
        )
    return out


def map_state(
    result: RunResult,
    drawn: DrawnRoads,
    *,
    steps: list[RunResult] | None = None,
    compare: RunResult | None = None,
    timeline=None,
) -> dict[str, Any]:
    """What a run changes on a page whose roads are ``drawn``: the towns (states, routes,
    chokepoints), the events, the slider's steps (road states by position, only those not open), the
    step it opens on, the town shown first and the comparison. ``siege serve`` sends this alone after
    an edit; :func:`map_data` adds what never changes (roads' lines, borders, supply points)."""
    s = result.scenario
    G = s.G
    steps = [*(steps or []), result] if not steps or steps[-1] is not result else steps
    kinds = {t.name: t.kind for t in s.towns}
    towns = [
        {
            "name": t.town,
            # the capital and regional capitals are always labelled; other towns when zoomed in
            "major": kinds.get(t.town) in ("capital", "regional_capital") or t.town == s.capital,
            "lat": t.lat,
            "lon": t.lon,
            "population": t.population,
            "demand": t.demand,
            "status": t.status,
            "baseline_status": t.baseline_status,
            "baseline_hours_from_imports": t.baseline_hours_from_imports,
            "supplied_from": t.supplied_from,
            "chokepoints": t.chokepoints_at(),  # nearest the town first, with their distance
            "route": _line(G, t.route_edges),
            "chokepoint_lines": [_line(G, [k]) for k in t.chokepoint_edges],
            "admin": t.admin.columns() if t.admin is not None else None,
        }
        for t in result.towns
    ]
    # the town whose route is shown first: the capital if it is hit, else the worst-hit town
    worst = sorted(
        result.towns,
        key=lambda t: (t.status == "open", t.town != s.capital, -severity(t.status), t.served_fraction),
    )
    when = f"Evaluated on {result.day}" if result.day else "All events at once (no date)"
    if s.start or s.end:
        when += f" · period {s.start or '…'} to {s.end or '…'}"
    units = {c.name: c.unit for c in s.commodities}
    state: dict[str, Any] = {
        "when": when,
        "focus": worst[0].town if worst else None,
        "towns": towns,
        "events": [_event_data(result, e) for e in s.events],
        "steps": _timeline_steps(timeline, result, drawn)
        if timeline is not None
        else [
            {
                "date": str(r.day) if r.day else None,
                "roads": drawn.states(r.degradation),
                "towns": [_town_state(t, units) for t in r.towns],
            }
            for r in steps
        ],
        "start_step": None,
        "compare": None,
    }
    # the slider opens on the evaluation date (the day the tables describe), else on the last step
    dates = [st["date"] for st in state["steps"]]
    if result.day is not None and str(result.day) in dates:
        state["start_step"] = dates.index(str(result.day))
    if compare is not None:
        before = {t.town: t.status for t in compare.towns}
        a, b = drawn.states(compare.degradation), drawn.states(result.degradation)
        state["compare"] = {
            "a": compare.scenario.name,
            "b": s.name,
            "towns": {t.town: [before.get(t.town, "–"), t.status] for t in result.towns},
            # by road position, only the roads whose state differs
            "roads": {
                i: [a.get(i, {"state": "open"})["state"], b.get(i, {"state": "open"})["state"]]
                for i in sorted({*a, *b}, key=int)
                if a.get(i, {"state": "open"})["state"] != b.get(i, {"state": "open"})["state"]
            },
        }
    return state


def map_data(
    result: RunResult,
    *,
    steps: list[RunResult] | None = None,
    compare: RunResult | None = None,
    timeline=None,
    drawn: DrawnRoads | None = None,
) -> dict[str, Any]:
    """Everything the page draws, as JSON-ready data. The slider's steps come from ``timeline`` (a run
    through time) if given, else from ``steps`` (runs on several days), else the one state of ``result``.
    ``drawn``: the roads to draw (default: :func:`drawn_roads`)."""
    s = result.scenario
    G = s.G
    drawn = drawn or drawn_roads(result)
    hidden = summary_of_hidden(result, drawn.groups)
    roads = road_features(result, drawn, light=drawn.light)
    state = map_state(result, drawn, steps=steps, compare=compare, timeline=timeline)
    data: dict[str, Any] = {
        "title": {
            "name": s.name if compare is None else f"Compare: {compare.scenario.name} → {s.name}",
            "when": state.pop("when"),
            "network": "bundled schematic Mali network" if s.schematic else s.network_source,
            "schematic": (
                "Schematic network: built from published facts (town positions, road orders, published "
                "distances), not OpenStreetMap geometry. Roads are drawn straight between the towns they "
                "join; their lengths are the published distances (dashed: estimated, none published)."
                if s.schematic
                else ""
            ),
            "hidden_roads": hidden,
            "sources": s.sources,
        },
        "capital": s.capital,
        "borders": _borders(G),
        "rivers": _borders(G, "rivers.geojson"),
        "roads": {"type": "FeatureCollection", "features": roads},
        "airports": _airports(G, roads),
        "supply": [
            {
                "name": p.name,
                "lat": G.nodes[p.node]["y"],
                "lon": G.nodes[p.node]["x"],
                "capacity": p.capacity,
                "basis": p.basis,
            }
            for p in s.supply
        ],
        **state,
        "probabilities": None,
        "probability_label": None,
        "extra_layers": [],
        "cercles": None,
    }
    if compare is not None:  # both scenarios, named
        data["title"]["compare"] = {"a": compare.scenario.name, "b": s.name}
    return data


def _airports(G, roads: list[dict]) -> list[dict[str, Any]]:
    """Every airport (a node with air legs): where, its payload a day, and the drawn legs it has (by
    position in ``roads``), so the page shows it closed when all its flights are."""
    out: dict[Any, dict[str, Any]] = {}
    for i, f in enumerate(roads):
        p = f["properties"]
        if p["mode"] != "air":
            continue
        for lon, lat in (f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][-1]):
            a = out.setdefault((round(lon, 4), round(lat, 4)), {"lat": lat, "lon": lon, "legs": [], "payload_t": 0.0})
            a["legs"].append(i)
            a["payload_t"] = max(a["payload_t"], p.get("payload_t") or 0.0)
    names = {(round(d["x"], 4), round(d["y"], 4)): d.get("airport") for _, d in G.nodes(data=True) if d.get("airport")}
    for key, a in out.items():
        a["name"] = names.get(key) or f"{a['lat']:.3f}, {a['lon']:.3f}"
    return sorted(out.values(), key=lambda a: a["name"])


def json_for_script(data: Any) -> str:
    # no "<", ">" or "&" survive, so the data can never close the <script> element it sits in
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_LAYERS_MACRO = """
        {% macro script(this, kwargs) %}
        siegeRender({{ this._parent.get_name() }},
                    JSON.parse(document.getElementById("siege-data").textContent));
        {% endmacro %}
        """


class _SiegeLayers(MacroElement):
    """Runs siege-map.js on the folium map with the embedded data."""

    _template = Template(_LAYERS_MACRO)


#: Marks the places of the data and assets in the rendered page: plain text that no template syntax
#: touches, each occurring exactly once in the skeleton.
_PLACEHOLDER = {name: f"@@siege-{name}-7f3c9a@@" for name in ("css", "data", "js")}


def _skeleton() -> folium.Map:
    """The folium page with placeholders where siege's stylesheet, data and script go.

    folium/branca compile ``Element`` text as a Jinja2 template, so only these fixed placeholders
    pass through it; no scenario or OSM text ever does.
    """
    m = folium.Map(location=[14.0, -6.0], zoom_start=6, tiles=None, control_scale=False, prefer_canvas=False)
    root = m.get_root()
    root.header.add_child(Element(f"<style>{_PLACEHOLDER['css']}</style>"), name="siege_css")
    script = f'<script id="siege-data" type="application/json">{_PLACEHOLDER["data"]}</script>'
    root.html.add_child(Element(script), name="siege_data")
    root.html.add_child(Element(f"<script>{_PLACEHOLDER['js']}</script>"), name="siege_js")
    m.add_child(_SiegeLayers())
    return m


def _skeleton_key() -> str:
    """What the rendered skeleton depends on: the versions of folium-offline, branca and Jinja2 and
    siege's own code for it (this module's skeleton, its macro and placeholders)."""
    import branca
    import jinja2

    parts = [
        getattr(folium, "__version__", ""),
        branca.__version__,
        jinja2.__version__,
        inspect.getsource(_skeleton),
        _LAYERS_MACRO,
        json.dumps(_PLACEHOLDER, sort_keys=True),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:24]


def _whole(page: str) -> bool:
    """A rendered skeleton as written: a whole page with each placeholder once."""
    return (
        page.startswith("<!DOCTYPE html>")
        and page.rstrip().endswith("</html>")
        and all(page.count(marker) == 1 for marker in _PLACEHOLDER.values())
    )


@functools.cache
def _skeleton_page() -> str:
    """The skeleton rendered (its ids numbered): the same text for every map of this installation, so
    it is rendered once (0.2 s: Jinja2 compiles folium's templates and inlines Leaflet) and kept, in
    this process and in the prepared-graph cache folder (``map-skeleton-<key>.html``, 1.5 MB, one file:
    older ones are removed; ``SIEGE_CACHE_DIR=off``: in this process only). A damaged or unreadable
    copy is rendered again."""
    from siege.network.cache import cache_dir

    folder = cache_dir()
    file = folder / f"map-skeleton-{_skeleton_key()}.html" if folder is not None else None
    if file is not None:
        try:
            page = file.read_text(encoding="utf-8")
            if _whole(page):
                return page
        except (OSError, UnicodeDecodeError):
            pass
    page = _stable_ids(_skeleton().get_root().render())
    if file is not None:
        try:  # best effort, as the prepared-graph cache: one that cannot be written costs the render
            write_text_atomic(file, page)
            for old in file.parent.glob("map-skeleton-*.html"):
                if old != file:
                    old.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
    return page


def map_html(
    result: RunResult,
    *,
    steps: list[RunResult] | None = None,
    compare: RunResult | None = None,
    timeline=None,
    probabilities: dict[str, dict[str, Any]] | None = None,
    probability_label: str = "",
    extra_layers: list[dict[str, Any]] | None = None,
    workbench: dict[str, Any] | None = None,
    cercles=None,
    drawn: DrawnRoads | None = None,
    focus: str | None = None,
) -> str:
    """The map page of the run (see module docstring) as HTML text; ``probabilities`` (from a sweep)
    colour the towns by their ``p`` instead of their status; ``workbench`` (from ``siege serve``)
    adds the editing panel; ``cercles`` (an :class:`~siege.analyses.admin2.Admin2Result`) adds the
    cercle layer coloured by access severity (off until ticked); ``drawn``: the roads to draw;
    ``focus``: the town whose route is shown first (default: the capital if hit, else the worst hit).

    folium renders its fixed skeleton; siege's stylesheet, data and script are then put in, in one
    pass, as plain text: data is never a template."""
    content = map_data(result, steps=steps, compare=compare, timeline=timeline, drawn=drawn)
    content["probabilities"], content["probability_label"] = probabilities, probability_label
    content["extra_layers"] = extra_layers or []
    content["workbench"] = workbench
    content["cercles"] = cercle_layer(cercles) if cercles is not None else None
    if focus is not None and any(t["name"] == focus for t in content["towns"]):
        content["focus"] = focus
    page = _skeleton_page()
    pieces = {
        _PLACEHOLDER["css"]: _asset("siege-map.css"),
        _PLACEHOLDER["data"]: json_for_script(content),
        _PLACEHOLDER["js"]: _asset("siege-map.js") + ("\n" + _asset("siege-workbench.js") if workbench else ""),
    }
    for marker in pieces:
        if page.count(marker) != 1:  # the skeleton is siege's own: a miss is a bug, never bad input
            raise RuntimeError(f"map skeleton has {page.count(marker)} copies of {marker}")
    return re.sub("|".join(map(re.escape, pieces)), lambda hit: pieces[hit.group(0)], page)


def cercle_layer(cercles) -> dict[str, Any]:
    """The cercle polygons (simplified to ~1 km for the page) with their codes and access severity."""
    from siege.analyses.admin2 import COLUMNS

    rows = {(r["adm1_pcode"], r["adm2_pcode"], r["adm2_name"]): r for r in cercles.frame.to_dict("records")}
    features = []
    for unit, geom in cercles.polygons:  # every polygon's unit has its row in the table
        r = rows[(unit.adm1_pcode, unit.adm2_pcode, unit.adm2_name)]
        shape = mapping(geom.simplify(0.01, preserve_topology=True))
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": shape["type"], "coordinates": _round_nested(shape["coordinates"], 3)},
                "properties": {c: _plain(r[c]) for c in COLUMNS},
            }
        )
    return {"features": features, "attribution": cercles.attribution, "versions": cercles.versions}


def _round_nested(coords, digits: int):
    """Polygon coordinates (rings at any depth) rounded ring by ring with :func:`_round`."""
    if len(coords) and isinstance(coords[0][0], (int, float)):
        return _round(coords, digits)
    return [_round_nested(c, digits) for c in coords]


def _plain(value: Any) -> Any:
    """A table cell as JSON: missing (None, NaN, NA) as null, NumPy numbers as numbers, dates as text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (dt.date,)):
        return str(value)
    return value


def _stable_ids(page: str) -> str:
    """folium names its elements with random ids (``map_<32 hex>``): number them in order of first
    appearance, so the same inputs give a byte-identical page."""
    ids: dict[str, str] = {}
    return re.sub(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])", lambda m: ids.setdefault(m.group(0), f"{len(ids):032x}"), page)


def write_map(result: RunResult, path: str | Path, **options: Any) -> Path:
    """Write the map as one self-contained HTML file, atomically. ``options`` are those of
    :func:`map_html`; ``extra_layers`` are overlays of segments:
    ``{"name", "color", "css", "show", "segments": [{"coords", "title", "lines", "weight"}]}``."""
    html = map_html(result, **options)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


def segment_line(G, key) -> list[list[float]]:
    """Coordinates (lon, lat) of one segment (an edge key), for ``extra_layers``."""
    return _line(G, [key])
