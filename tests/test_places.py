"""Gazetteer lookup and snapping."""

from __future__ import annotations

import pytest

from siege.errors import SiegeInputError
from siege.places import normalize_name, read_gazetteer, snap_places

from .conftest import DATA


def test_lookup_ignores_accents_and_case(gazetteer):
    assert gazetteer.get("segou").name == "Ségou"
    assert gazetteer.get("SÉGOU").name == "Ségou"
    assert gazetteer.get("Dioila").name == "Dioïla"
    assert gazetteer.get("Timbuktu").name == "Tombouctou"  # alternative name
    assert gazetteer.get("Dakar").name == "Dakar (SN)"  # without the country code


def test_unknown_name_suggests_close_matches(gazetteer):
    with pytest.raises(SiegeInputError) as err:
        gazetteer.get("Sikaso")
    assert "'Sikaso'" in str(err.value) and "Sikasso" in str(err.value)
    assert gazetteer.suggest("Kolokany")[0] == "Kolokani"


def test_normalize_name():
    assert normalize_name("  Nioro-du-Sahel ") == normalize_name("nioro du sahel")
    assert normalize_name("Ménaka") == "menaka"


def test_gazetteer_covers_all_cercle_capitals(gazetteer):
    kinds = [p.kind for p in gazetteer]
    assert kinds.count("capital") == 1
    assert kinds.count("cercle_capital") + kinds.count("regional_capital") >= 49


def test_interpolated_places_follow_their_rule(gazetteer):
    from siege.network.bundled import _straight_km

    didieni = gazetteer.get("Didiéni")
    assert didieni.position == "interpolated" and "Mourdiah" in didieni.position_rule
    # the two distances of the rule, straight-line km
    assert _straight_km(gazetteer, "Didiéni", "Kolokani") == pytest.approx(30.8, abs=0.3)
    assert _straight_km(gazetteer, "Didiéni", "Mourdiah") == pytest.approx(90.4, abs=0.5)
    # ... and on the Diéma side
    assert _straight_km(gazetteer, "Didiéni", "Diéma") < _straight_km(gazetteer, "Kolokani", "Diéma")
    assert _straight_km(gazetteer, "Diboli", "Kidira (SN)") == pytest.approx(1.5, abs=0.05)
    assert not gazetteer.get("Gogui").located  # no source, no invented position


def test_snapping_keeps_distance_and_reports_far_places(mali, gazetteer):
    snapped = {s.place.name: s for s in snap_places(mali, gazetteer)}
    assert snapped["Bamako"].snapped and snapped["Bamako"].snap_km < 0.01
    # Youwarou has no documented road: ~61 km from the nearest road node, beyond the 10 km default
    assert not snapped["Youwarou"].snapped and 55 < snapped["Youwarou"].snap_km < 70
    assert not snapped["Gogui"].snapped and snapped["Gogui"].snap_km is None
    wide = {s.place.name: s for s in snap_places(mali, gazetteer, max_snap_km=70)}
    assert wide["Youwarou"].snapped


def test_bad_gazetteer_rows(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("name,lat,lon,kind\nX,12.1,oops,road_town\n")
    with pytest.raises(SiegeInputError, match="line 2"):
        read_gazetteer(bad)
    bad.write_text("name,lat,lon,kind\nX,12.1,-8,village\n")
    with pytest.raises(SiegeInputError, match="field 'kind'"):
        read_gazetteer(bad)
    with pytest.raises(SiegeInputError, match="no such file"):
        read_gazetteer(DATA / "nope.csv")


def test_snapping_finds_the_nearest_node_on_the_sphere_as_a_brute_force_haversine_does():
    """The k-d tree over unit vectors gives the same node as checking every node by great-circle
    distance (what osmnx's unprojected nearest_nodes answers), and the same distance."""
    import numpy as np

    from siege import load_network
    from siege.places import nearest_nodes

    G = load_network("mali")
    ids = np.array(list(G.nodes))
    lon = np.radians([G.nodes[n]["x"] for n in ids])
    lat = np.radians([G.nodes[n]["y"] for n in ids])
    rng = np.random.default_rng(7)
    xs, ys = rng.uniform(-12.5, 4.5, 300), rng.uniform(10.0, 25.0, 300)
    nodes, metres = nearest_nodes(G, xs, ys)
    for x, y, node, m in zip(xs, ys, nodes, metres, strict=True):
        px, py = np.radians(x), np.radians(y)
        h = np.sin((lat - py) / 2) ** 2 + np.cos(py) * np.cos(lat) * np.sin((lon - px) / 2) ** 2
        d = 2 * 6_371_009 * np.arcsin(np.sqrt(h))
        assert node == ids[np.argmin(d)]
        assert abs(m - d.min()) < 0.01
