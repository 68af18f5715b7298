"""OSM PBF through pyosmium, and the live-download path answered by a recorded Overpass response."""

from __future__ import annotations

import json
import re
from collections import OrderedDict

import osmium
import osmnx as ox
import pytest
import requests
from shapely.geometry import box

from siege.network.download import download_network
from siege.network.osm import graph_from_osm_xml, road_class_filter
from siege.network.source import load_network
from siege.settings import DEFAULT_ROAD_CLASSES

from .conftest import DATA, run_cli


def make_pbf(path):
    """Write the tiny fixture as PBF with pyosmium (positive ids, as real extracts have)."""
    xml = path.with_suffix(".xml.osm")
    xml.write_text(re.sub(r'(id|ref)="-', r'\1="', (DATA / "tiny.osm").read_text()))
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    return path


def test_pbf_gives_the_same_graph_as_xml(tmp_path):
    G = load_network(make_pbf(tmp_path / "tiny.osm.pbf"))
    H = graph_from_osm_xml(DATA / "tiny.osm")
    assert sorted((-u, -v) for u, v in G.edges()) == sorted(H.edges())
    assert G.get_edge_data(1, 2)[0]["ref"] == ["RN3", "RN4"]
    assert 8 not in G  # the railway was filtered out by pyosmium's highway filter
    assert G.nodes[2]["place"] == "village"


def record_overpass_response(cache_folder, polygon, response):
    """Put ``response`` in osmnx's cache under the key osmnx's own request code will look up.

    Mirrors osmnx 2.x graph_from_polygon: the polygon is buffered by 500 m, split into query
    strings, and each POST is cached under its GET-style URL.
    """
    ox.settings.cache_folder = str(cache_folder)
    ox.settings.use_cache = True
    poly_proj, crs = ox.projection.project_geometry(polygon)
    poly_buff, _ = ox.projection.project_geometry(poly_proj.buffer(500), crs=crs, to_latlong=True)
    settings_str = ox._overpass._make_overpass_settings()
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    for coord_str in ox._overpass._make_overpass_polygon_coord_strs(poly_buff):
        query = f"{settings_str};(way{road_class_filter(DEFAULT_ROAD_CLASSES)}(poly:{coord_str!r});>;);out;"
        prepared = requests.Request("GET", url, params=OrderedDict(data=query)).prepare().url
        ox._http._save_to_cache(prepared, response, ok=True)


@pytest.fixture
def osmnx_settings():
    saved = (ox.settings.cache_folder, ox.settings.use_cache)
    yield
    ox.settings.cache_folder, ox.settings.use_cache = saved


def test_download_is_answered_from_the_osmnx_cache(tmp_path, osmnx_settings):
    bbox = (-8.09, 12.73, -7.95, 12.81)
    record_overpass_response(tmp_path / "cache", box(*bbox), json.loads((DATA / "overpass_kati.json").read_text()))
    out = tmp_path / "kati.graphml"
    G = download_network(bbox=bbox, cache_folder=tmp_path / "cache", out=out)
    assert G.number_of_edges() == 10
    assert {r for _, _, d in G.edges(data=True) for r in d["ref"]} == {"RN3", "RN4", "RN5", "RN6"}
    # the saved GraphML loads with no network at all, in the same schema
    H = load_network(out)
    assert sorted(H.edges()) == sorted(G.edges())
    assert all(isinstance(d["ref"], list) for _, _, d in H.edges(data=True))


def test_download_command_uses_the_same_cache(tmp_path):
    bbox = (-8.09, 12.73, -7.95, 12.81)
    saved = (ox.settings.cache_folder, ox.settings.use_cache)
    try:
        record_overpass_response(tmp_path / "cache", box(*bbox), json.loads((DATA / "overpass_kati.json").read_text()))
    finally:
        ox.settings.cache_folder, ox.settings.use_cache = saved
    out = run_cli(
        "network",
        "download",
        "--bbox",
        ",".join(map(str, bbox)),
        "--cache",
        tmp_path / "cache",
        "--out",
        tmp_path / "kati.graphml",
    )
    assert out.returncode == 0, out.stderr
    info = run_cli("network", "info", tmp_path / "kati.graphml", "--format", "json")
    assert json.loads(info.stdout)["edges"] == 10


def test_download_without_cache_or_network_fails_cleanly(tmp_path, osmnx_settings, monkeypatch):
    from siege.errors import SiegeInputError

    # offline, osmnx would first wait 60 s for the Overpass status endpoint
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    with pytest.raises(SiegeInputError, match="could not reach OpenStreetMap"):
        download_network(bbox=(-8.09, 12.73, -7.95, 12.81), cache_folder=tmp_path / "empty")


def test_pbf_gives_the_ferry_the_river_and_the_airports(tmp_path):
    """The modes' hand network (tests/data/modes.osm) as PBF, through pyosmium's own graph builder."""
    from siege.network.osm import graph_from_pbf

    xml = tmp_path / "modes.xml.osm"
    xml.write_text(re.sub(r'(id|ref)="-', r'\1="', (DATA / "modes.osm").read_text(encoding="utf-8")), encoding="utf-8")
    pbf = tmp_path / "modes.osm.pbf"
    with osmium.SimpleWriter(str(pbf), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    G = graph_from_pbf(pbf)
    H = graph_from_osm_xml(DATA / "modes.osm")

    def kms(graph):
        out: dict[str, float] = {}
        for _, _, d in graph.edges(data=True):
            out[d["mode"]] = out.get(d["mode"], 0.0) + d["length"] / 1000
        return out

    assert kms(G) == pytest.approx(kms(H), rel=1e-6)
    assert set(kms(G)) == {"road", "ferry", "river", "air"}
    assert G.graph["river_ports"] == 2
    assert {a for _, a in G.nodes(data="airport") if a} == {"Mopti Ambodédjo", "Tombouctou"}


def test_siege_measures_great_circles_as_osmnx_does_to_the_bit():
    import numpy as np

    from siege.network.geometry import great_circle_m

    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(-89, 89, 1000), rng.uniform(-89, 89, 1000)
    lon1, lon2 = rng.uniform(-180, 180, 1000), rng.uniform(-180, 180, 1000)
    assert np.array_equal(great_circle_m(lat1, lon1, lat2, lon2), ox.distance.great_circle(lat1, lon1, lat2, lon2))
    assert great_circle_m(12.65, -8.0, 14.5, -4.2) == ox.distance.great_circle(12.65, -8.0, 14.5, -4.2)
    assert great_circle_m(0.0, 0.0, 0.0, 180.0) == ox.distance.great_circle(0.0, 0.0, 0.0, 180.0)  # antipodes


def test_the_pbf_builder_keeps_the_way_tags_osmnx_keeps():
    from siege import settings

    # osmnx's own default, read from a fresh process (a test or session may have changed the live one)
    out = run_cli_python("import osmnx as ox, json; print(json.dumps(ox.settings.useful_tags_way))")
    assert tuple(json.loads(out)) == settings.OSMNX_WAY_TAGS


def test_a_pbf_loads_without_importing_osmnx(tmp_path):
    # osmnx (and the scikit-learn and scipy.stats it imports) costs seconds: the PBF path does not need it
    pbf = make_pbf(tmp_path / "tiny.osm.pbf")
    out = run_cli_python(
        "import sys; from siege.network.source import load_network; "
        f"G = load_network({str(pbf)!r}); print(G.number_of_edges(), 'osmnx' in sys.modules)",
        env={"SIEGE_CACHE_DIR": "off"},
    )
    edges, imported = out.split()
    assert int(edges) > 0 and imported == "False"


def run_cli_python(code: str, env: dict | None = None) -> str:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
