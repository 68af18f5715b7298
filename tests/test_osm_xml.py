"""OSM XML through osmnx: road-class filter, oneway handling, ref lists, simplification rules."""

from __future__ import annotations

import bz2
import gzip

import networkx as nx
import pytest

from siege.network.osm import graph_from_osm_xml
from siege.network.source import load_network

from .conftest import DATA


@pytest.fixture(scope="module")
def tiny():
    return graph_from_osm_xml(DATA / "tiny.osm")


def test_non_road_ways_are_dropped(tiny):
    # node -8 is only on the railway, node -9 only on the footway
    assert -8 not in tiny and -9 not in tiny
    assert all(d["highway"] in {"primary", "secondary", "trunk", "tertiary"} for _, _, d in tiny.edges(data=True))


def test_ways_with_same_class_and_ref_merge_but_place_nodes_stay(tiny):
    # ways -100 (-1,-2,-3) and -101 (-3,-4) share highway and ref: node -3 disappears ...
    assert -3 not in tiny
    merged = tiny.get_edge_data(-2, -4)[0]
    assert merged["highway"] == "primary"
    assert merged["ref"] == ["RN3", "RN4"]
    assert merged["geometry"].coords[1] == (-8.03, 12.78)
    # ... but the village at -2 stays a node, so the town is addressable
    assert tiny.nodes[-2]["place"] == "village"


def test_way_of_another_class_does_not_merge(tiny):
    # -4 joins a primary and a secondary road: an endpoint although it has only two neighbours
    assert -4 in tiny
    assert tiny.get_edge_data(-4, -5)[0]["highway"] == "secondary"
    assert tiny.get_edge_data(-4, -5)[0]["ref"] == ["RN5"]


def test_oneway_and_reversed_oneway(tiny):
    assert tiny.has_edge(-5, -6) and not tiny.has_edge(-6, -5)  # oneway=yes
    assert tiny.has_edge(-7, -6) and not tiny.has_edge(-6, -7)  # oneway=-1: drawn -6 -> -7, driven -7 -> -6
    assert tiny.has_edge(-4, -5) and tiny.has_edge(-5, -4)  # two-way


def test_schema_attributes(tiny):
    for u, _v, d in tiny.edges(data=True):
        assert isinstance(d["ref"], list)
        assert d["length"] > 0 and d["speed_kph"] > 0 and d["capacity"] > 0
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6), rel=1e-3)
        assert d["geometry"].coords[0] == (tiny.nodes[u]["x"], tiny.nodes[u]["y"])
    # class x surface: asphalt primary is paved, gravel tertiary is unpaved, untagged trunk unknown
    assert tiny.get_edge_data(-1, -2)[0]["surface_class"] == "paved"
    assert tiny.get_edge_data(-7, -1)[0]["surface_class"] == "unpaved"
    assert tiny.get_edge_data(-5, -6)[0]["surface_class"] == "unknown"
    paved = tiny.get_edge_data(-1, -2)[0]["speed_kph"]
    unpaved = tiny.get_edge_data(-4, -5)[0]["speed_kph"]
    assert unpaved < paved


def test_road_classes_option_narrows(tmp_path):
    G = graph_from_osm_xml(DATA / "tiny.osm", road_classes=["primary", "secondary"])
    assert {d["highway"] for _, _, d in G.edges(data=True)} == {"primary", "secondary"}


def test_largest_strongly_connected_component_on_request(tiny):
    # -6 is a sink (both trunk ways are one-way into it)
    assert nx.number_strongly_connected_components(tiny) == 2
    G = graph_from_osm_xml(DATA / "tiny.osm", largest_component=True)
    assert -6 not in G and nx.is_strongly_connected(G)


@pytest.mark.parametrize("suffix,opener", [(".osm.gz", gzip.open), (".osm.bz2", bz2.open)])
def test_compressed_osm_xml(tmp_path, tiny, suffix, opener):
    path = tmp_path / f"tiny{suffix}"
    with opener(path, "wb") as f:
        f.write((DATA / "tiny.osm").read_bytes())
    G = load_network(path)
    assert sorted(G.edges()) == sorted(tiny.edges())


def test_tables_override_speeds(tmp_path):
    from siege.network.attributes import read_tables

    tables = tmp_path / "t.toml"
    tables.write_text("[speed_kph.primary]\npaved = 70\n[capacity_trucks_per_day.secondary]\nunpaved = 42\n")
    speeds, capacities = read_tables(tables)
    G = graph_from_osm_xml(DATA / "tiny.osm", speeds=speeds, capacities=capacities)
    assert G.get_edge_data(-1, -2)[0]["speed_kph"] == 70
    assert G.get_edge_data(-4, -5)[0]["capacity"] == 42
    assert G.get_edge_data(-5, -6)[0]["speed_kph"] == 50  # untouched default


def test_a_road_mapped_twice_is_one_segment_so_criticality_sees_the_only_access(tmp_path):
    # Samé's only road is mapped as two identical ways (a common OSM error): closing it must cut
    # Samé off, not leave the "other" copy open
    from siege.analyses.criticality import criticality
    from siege.network.osm import graph_from_osm_xml
    from siege.solver.arrays import RoadArrays

    path = tmp_path / "twice.osm"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="12.7400" lon="-8.0700"><tag k="place" v="town"/><tag k="name" v="Kati"/></node>
  <node id="2" lat="12.7600" lon="-8.0500"/>
  <node id="3" lat="12.7800" lon="-8.0300"><tag k="place" v="village"/><tag k="name" v="Samé"/></node>
  <node id="4" lat="12.7300" lon="-8.0300"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="ref" v="RN3"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="tertiary"/></way>
  <way id="12"><nd ref="2"/><nd ref="3"/><tag k="highway" v="tertiary"/><tag k="ref" v="RN99"/></way>
  <way id="13"><nd ref="1"/><nd ref="4"/><nd ref="2"/><tag k="highway" v="secondary"/></way>
</osm>
""",
        encoding="utf-8",
    )
    G = graph_from_osm_xml(path)
    assert G.graph["merged_duplicate_ways"] == 2  # one per direction
    assert G.number_of_edges(2, 3) == 1 and G.edges[2, 3, 0]["ref"] == ["RN99"]
    arrays = RoadArrays.from_graph(G)
    pos = arrays.index
    result = criticality(arrays, [(pos[1], 100.0)], [(pos[3], 10.0)], [5000])
    access = result.segments.of_edge[arrays.edge_index[(2, 3, 0)]]
    assert next(c for c in result.table if c.segment == access).towns_isolated == [0]
