"""Cercles and P-codes: every town placed by point in polygon on the bundled cercles, admin2.csv by
cercle with its access severity, the HXL hashtag row, and admin polygons of one's own."""

from __future__ import annotations

import csv
import json

import pytest

from siege.analyses.admin2 import access_severity
from siege.network.admin import bundled_admin
from siege.places import mali_gazetteer, normalize_name
from siege.scenario import load_scenario

from .conftest import REPO
from .test_hostile_inputs import assert_clean_failure, cli
from .test_map import Page, embedded_data

BONI = REPO / "scenarios" / "boni-rn16-2022.toml"
VERSION = "OCHA COD-AB Mali, valid from 2021-12-20"
#: seats whose cercle has another name in the COD (or no cercle of its own)
SEAT_NAMES = {"Nioro du Sahel": "Nioro", "Barouéli": "Baraoueli", "Taoudenni": "Tombouctou", "Koulikoro": "Koulikoro"}


@pytest.fixture(scope="module")
def boni_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("boni")
    code, _, stderr, escaped = cli("run", BONI, "--out", out, "--hxl")
    assert escaped is None and code == 0, stderr
    return out


def _rows(path, *, hxl):
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, tags, data = rows[0], rows[1] if hxl else None, rows[2:] if hxl else rows[1:]
    return header, tags, [dict(zip(header, r, strict=True)) for r in data]


def test_every_cercle_seat_lies_in_its_own_cercle():
    areas = bundled_admin()
    assert len(areas) == 50 and areas.versions == [VERSION]
    seats = [p for p in mali_gazetteer() if p.kind in ("capital", "regional_capital", "cercle_capital") and p.located]
    assert len(seats) >= 50
    for p in seats:
        unit = areas.locate(p.lon, p.lat)
        assert unit is not None, p.name
        expected = SEAT_NAMES.get(p.name, p.name)
        assert normalize_name(unit.adm2_name) == normalize_name(expected), (p.name, unit)
        assert unit.adm2_pcode.startswith(unit.adm1_pcode) and len(unit.adm2_pcode) == 6
    # foreign cities lie in no cercle: never a guessed one
    assert areas.locate(-17.44, 14.69) is None  # Dakar
    assert areas.locate(-4.0, 5.3) is None  # Abidjan


def test_menaka_polygon_keys_its_seat_to_ml1001_and_other_towns_to_the_region_only():
    areas = bundled_admin()
    seat = areas.locate(2.39609, 15.91985)
    assert (seat.adm1_pcode, seat.adm2_pcode) == ("ML10", "ML1001")
    # 60 km south-east of the seat: in the pre-2016 Ménaka cercle, which the 2021 COD splits into four
    away = areas.locate(2.9, 15.6)
    assert away.adm1_pcode == "ML10" and away.adm2_pcode == "" and away.adm2_name == ""


def test_the_access_severity_rule():
    assert access_severity(worst_status="open", days_short=0, days_isolated=0) == 0
    assert access_severity(worst_status="degraded", days_short=0, days_isolated=0) == 1
    assert access_severity(worst_status="besieged", days_short=0, days_isolated=0) == 2
    assert access_severity(worst_status="degraded", days_short=7, days_isolated=0) == 2
    assert access_severity(worst_status="besieged", days_short=8, days_isolated=0) == 3
    assert access_severity(worst_status="besieged", days_short=30, days_isolated=0) == 4
    assert access_severity(worst_status="isolated", days_short=3, days_isolated=1) == 4
    assert access_severity(worst_status="isolated", days_short=90, days_isolated=30) == 5
    # a steady day has no durations
    assert [access_severity(worst_status=s, days_short=None, days_isolated=None)
            for s in ("open", "degraded", "besieged", "isolated")] == [0, 1, 3, 4]  # fmt: skip


def test_town_rows_carry_their_cercle_and_p_codes_with_the_cod_version(boni_run):
    header, tags, rows = _rows(boni_run / "results.csv", hxl=True)
    assert header[:6] == ["town", "adm1_name", "adm1_pcode", "adm2_name", "adm2_pcode", "cod_version"]
    assert tags[:6] == ["#loc+name", "#adm1+name", "#adm1+code", "#adm2+name", "#adm2+code", "#meta+cod_version"]
    boni = next(r for r in rows if r["town"] == "Boni")
    assert (boni["adm1_pcode"], boni["adm2_name"], boni["adm2_pcode"]) == ("ML05", "Douentza", "ML0504")
    assert all(r["cod_version"] == VERSION for r in rows)  # every town of the bundled network is in Mali
    _, _, summary = _rows(boni_run / "timeline_summary.csv", hxl=True)
    assert {r["adm2_pcode"] for r in summary if r["town"] == "Boni"} == {"ML0504"}
    report = (boni_run / "report.md").read_text(encoding="utf-8")
    assert "| Boni | Douentza, Mopti (ML0504) |" in report and "## By cercle" in report and VERSION in report
    assert "geoBoundaries" in report  # the boundaries' attribution travels with the codes


def test_admin2_csv_gives_each_cercle_its_towns_worst_status_days_short_and_severity(boni_run):
    _, tags, rows = _rows(boni_run / "admin2.csv", hxl=True)
    assert "#severity+access" in tags and "#adm2+code" in tags and "#population+on_network" in tags
    assert len(rows) == 50
    douentza = next(r for r in rows if r["adm2_pcode"] == "ML0504")
    assert set(douentza["town_names"].split("; ")) == {"Boni", "Douentza"}
    # Boni isolated from 25 May to 28 Aug: far more than 30 days
    assert douentza["worst_status"] == "isolated" and douentza["access_severity"] == "5"
    assert int(douentza["days_short"]) >= 30 and int(douentza["short_person_days"]) > 0
    assert douentza["first_day_short"] == "2022-05-28"
    bamako = next(r for r in rows if r["adm2_pcode"] == "ML0901")
    assert bamako["days_short"] == "0" and bamako["access_severity"] == "0"
    # a cercle whose towns are not modelled is not assessed, never reported as open
    empty = [r for r in rows if r["towns"] == "0"]
    assert all(r["access_severity"] == "" and r["worst_status"] == "" for r in empty)


def test_hxl_rows_are_read_by_libhxl_and_absent_without_the_flag(boni_run, tmp_path):
    import hxl

    source = hxl.data(str(boni_run / "admin2.csv"), hxl.InputOptions(allow_local=True))
    assert "#adm2+code" in [c.display_tag for c in source.columns]
    codes = {row.get("#adm2+code") for row in source}
    assert "ML0504" in codes and len(codes) == 50
    timeline = hxl.data(str(boni_run / "timeline.csv"), hxl.InputOptions(allow_local=True))
    tags = [c.display_tag for c in timeline.columns]
    assert tags[:3] == ["#date", "#loc+name", "#item+name"]
    assert all(t.startswith("#") for t in tags)
    code, _, stderr, _ = cli("run", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", tmp_path / "plain")
    assert code == 0, stderr
    _, _, rows = _rows(tmp_path / "plain" / "results.csv", hxl=False)
    assert not rows[0]["town"].startswith("#")


def test_criticality_tables_take_the_hxl_row(tmp_path):
    code, _, stderr, _ = cli("criticality", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", tmp_path, "--hxl")
    assert code == 0, stderr
    header, tags, rows = _rows(tmp_path / "criticality.csv", hxl=True)
    assert tags[header.index("segment")] == "#loc+name+segment" and tags[header.index("rank")] == "#indicator+rank"
    assert rows[0]["rank"] == "1"


def test_admin_polygons_of_ones_own_replace_the_bundled_cercles(tmp_path):
    """A COD-AB style layer (ADM1_EN, ADM1_PCODE, ADM2_EN, ADM2_PCODE, validOn): Kati is placed in it,
    with the layer's version beside the codes; a town outside it has no area."""
    layer = tmp_path / "cod.geojson"
    square = [[-8.3, 12.5], [-7.8, 12.5], [-7.8, 13.0], [-8.3, 13.0], [-8.3, 12.5]]
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"ADM1_EN": "Region A", "ADM1_PCODE": "XX01", "ADM2_EN": "District A1", "ADM2_PCODE": "XX0101",
                       "validOn": "2024-01-01"}, "geometry": {"type": "Polygon", "coordinates": [square]}}]}),
        encoding="utf-8")  # fmt: skip
    s = load_scenario(REPO / "scenarios" / "nara-rn4-2024.toml", admin=layer)
    kati = next(t for t in s.towns if t.name == "Kati")
    assert (kati.admin.adm2_pcode, kati.admin.cod_version) == ("XX0101", "valid from 2024-01-01")
    assert next(t for t in s.towns if t.name == "Nara").admin is None
    code, _, stderr, _ = cli(
        "run", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", tmp_path / "o", "--admin", layer
    )
    assert code == 0, stderr
    _, _, rows = _rows(tmp_path / "o" / "admin2.csv", hxl=False)
    assert [r["adm2_pcode"] for r in rows] == ["XX0101"]
    bad = tmp_path / "bad.geojson"
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", "coordinates": [square]}}
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    assert_clean_failure(*cli("validate", REPO / "scenarios" / "nara-rn4-2024.toml", "--admin", bad), "adm2_pcode")


def test_the_map_shows_the_cercle_in_the_town_popup_and_a_cercle_layer_by_severity(browser, boni_run):
    path = boni_run / "map.html"
    data = embedded_data(path)
    assert len(data["cercles"]["features"]) == 50
    p = Page(browser, path)
    boni = [t["name"] for t in data["towns"]].index("Boni")
    assert p.count("path.siege-cercle") == 0  # off until ticked
    p.page.locator(f"path.siege-town-{boni}").click(force=True)
    popup = p.page.locator(".siege-town-popup")
    popup.wait_for()
    assert "Douentza (ML0504)" in popup.inner_text() and VERSION in popup.inner_text()
    # the popup is moved clear of the legend (poll: Leaflet pans in animation frames)
    legend = p.page.locator(".siege-legend").bounding_box()
    p.page.wait_for_function(
        "x => document.querySelector('.siege-town-popup').getBoundingClientRect().right <= x", arg=legend["x"]
    )
    p.page.keyboard.press("Escape")
    p.page.locator(".leaflet-control-layers-overlays label", has_text="Cercles").locator("input").click()
    assert p.count("path.siege-cercle") == 50
    assert p.count("path.siege-cercle.siege-severity-5") == 1  # Douentza
    assert "access severity" in p.page.locator(".siege-legend").inner_text()
    assert p.errors == [] and p.outside_requests() == []
