"""The HTML map, opened in a real browser (Debian's Chromium driven by Playwright), with no network."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from .conftest import DATA, REPO, run_cli


class Page:
    """A page that records console errors, dialogs and every request it makes."""

    def __init__(self, browser, path):
        self.errors, self.requests, self.dialogs = [], [], []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("window.siegeMap !== undefined")

    def outside_requests(self):
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def count(self, selector):
        return self.page.locator(selector).count()


@pytest.fixture(scope="module")
def nara_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("nara")
    res = run_cli("run", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", out)
    assert res.returncode == 0, res.stderr
    return out


def embedded_data(path):
    html = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="siege-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_map_renders_offline_with_every_feature(browser, nara_run, tmp_path):
    path = nara_run / "map.html"
    data = embedded_data(path)
    p = Page(browser, path)
    assert p.errors == []
    assert p.outside_requests() == []  # Leaflet, styles and data are all in the file
    modes = [f["properties"]["mode"] for f in data["roads"]["features"]]
    assert modes.count("river") == 9 and modes.count("air") == 47  # the Niger's reaches, 25 airports' legs
    # the flights are a layer of their own, off at first (47 lines from two hubs hide the roads)
    assert p.count("path.siege-road") == len(modes) - modes.count("air") == 121
    assert p.count("path.siege-mode-river") == 9
    assert p.count("path.siege-mode-river.siege-road-closed") == 9  # 7 March: low water, no boats
    assert p.count(".siege-airport") == len(data["airports"]) == 25
    flights = p.page.locator(".leaflet-control-layers-overlays label", has_text="Air legs").locator("input")
    flights.click()
    assert p.count("path.siege-mode-air") == 47
    flights.click()
    assert p.count("path.siege-town") == len(data["towns"]) == 50
    # the scenario's three events and the bundled network's calendar: five rainy-season rules, two low-water
    assert p.count(".siege-event-icon") == len(data["events"]) == 3 + 7
    assert p.count(".siege-supply-icon") == 10  # the seven gateways of 2025 and three of the north
    assert p.count("path.siege-road-attacked") > 0  # the RN4 ambushes: passable at a risk
    # the worst-hit town is pre-selected: its route and chokepoints are drawn
    assert p.page.locator(".siege-selected strong").inner_text() == "Nara"
    assert p.count("path.siege-route") == 1 and p.count("path.siege-chokepoint") >= 1
    # the title block says the network is schematic; the legend and scale bar are there
    assert "Schematic network" in p.page.locator(".siege-title").inner_text()
    assert "besieged" in p.page.locator(".siege-legend").inner_text()
    assert "season (rains, low water)" in p.page.locator(".siege-legend").inner_text()  # the seasons have a symbol
    assert p.count(".leaflet-control-scale") == 1
    p.page.screenshot(path=str(tmp_path / "nara.png"))
    assert (tmp_path / "nara.png").stat().st_size > 50_000


def test_town_popup_and_layer_toggle(browser, nara_run):
    p = Page(browser, nara_run / "map.html")
    nara = [t["name"] for t in embedded_data(nara_run / "map.html")["towns"]].index("Nara")
    p.page.locator(f"path.siege-town-{nara}").click(force=True)
    popup = p.page.locator(".siege-town-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "besieged" in text and "route survival" in text and "RN4" in text and "cut off from Bamako" in text
    # toggle the events layer off and on in the layer control
    events = p.page.locator(".leaflet-control-layers-overlays label", has_text="Events").locator("input")
    assert p.count(".siege-event-icon") == 10
    events.click()
    assert p.count(".siege-event-icon") == 0 and p.count("path.siege-event") == 0
    events.click()
    assert p.count(".siege-event-icon") == 10
    assert p.errors == [] and p.outside_requests() == []


def test_a_click_on_bamako_opens_bamako(browser, nara_run):
    """Kati's marker lies inside Bamako's at the national view: a click on Bamako's centre must open
    Bamako, and Kati stays reachable."""
    p = Page(browser, nara_run / "map.html")
    names = [t["name"] for t in embedded_data(nara_run / "map.html")["towns"]]
    box = p.page.locator(f"path.siege-town-{names.index('Bamako')}").bounding_box()
    p.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = p.page.locator(".siege-town-popup")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == "Bamako"
    assert p.page.locator(".siege-selected strong").inner_text() == "Bamako"
    # zoomed in, the two markers part and Kati opens
    kati = embedded_data(nara_run / "map.html")["towns"][names.index("Kati")]
    p.page.evaluate(
        "window.siegeMap.map.closePopup(); "
        f"window.siegeMap.map.setView([{kati['lat']}, {kati['lon']}], 11, {{animate: false}})"
    )
    box = p.page.locator(f"path.siege-town-{names.index('Kati')}").bounding_box()
    p.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert p.page.locator(".siege-selected strong").inner_text() == "Kati"
    assert p.errors == []


def test_the_legend_folds_away_to_uncover_the_towns_under_it(browser, nara_run):
    p = Page(browser, nara_run / "map.html")
    names = [t["name"] for t in embedded_data(nara_run / "map.html")["towns"]]
    legend = p.page.locator(".siege-legend")
    # on a 1400 x 900 screen the open legend covers towns of the east: what is drawn at their centres
    under = """([x, y]) => document.elementFromPoint(x, y).closest('.siege-legend') !== null"""
    hidden = []
    for i in range(len(names)):
        box = p.page.locator(f"path.siege-town-{i}").bounding_box()
        if box:
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            if p.page.evaluate(under, [x, y]):
                hidden.append((i, x, y))
    assert hidden, "expected the open legend to cover some towns at this size"
    assert "besieged" in legend.inner_text()
    legend.locator("summary", has_text="Legend").click()
    # folded: the legend's rows are gone, and what is drawn at those towns' centres is the towns
    assert "besieged" not in legend.inner_text()
    for i, x, y in hidden:
        drawn = p.page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('class') || ''", [x, y])
        assert f"siege-town-{i}" in drawn.split(), (names[i], drawn)
    legend.locator("summary").click()
    assert "besieged" in legend.inner_text()
    assert p.errors == []


def test_popups_never_slide_under_the_title_block(browser, nara_run):
    """A town near the top-left corner opens its popup below the title block, not under it."""
    p = Page(browser, nara_run / "map.html")
    towns = embedded_data(nara_run / "map.html")["towns"]
    north = max(range(len(towns)), key=lambda i: towns[i]["lat"] - 0.2 * towns[i]["lon"])  # the north-west-most
    t = towns[north]
    # put the town right under the title block, then open it
    p.page.evaluate(
        "(function (t) { var m = window.siegeMap.map; var b = document.querySelector('.siege-title')"
        ".getBoundingClientRect(); var c = m.containerPointToLatLng([b.left + b.width / 2, b.bottom - 20]);"
        "var here = m.latLngToContainerPoint([t.lat, t.lon]), there = m.latLngToContainerPoint(c);"
        "m.panBy([here.x - there.x, here.y - there.y], {animate: false}); })"
        f"({json.dumps({'lat': t['lat'], 'lon': t['lon']})})"
    )
    # (a click there would land on the title block: open it as a click on the marker would)
    p.page.evaluate(f"window.siegeMap.townLayers[{north}].openPopup()")
    popup = p.page.locator(".siege-town-popup")
    popup.wait_for()
    p.page.wait_for_timeout(600)  # let any pan animation end
    a = p.page.locator(".siege-title").bounding_box()
    b = p.page.locator(".leaflet-popup").bounding_box()
    overlap = b["x"] < a["x"] + a["width"] and b["x"] + b["width"] > a["x"] and b["y"] < a["y"] + a["height"]
    assert not overlap, (a, b)
    assert p.errors == []


def test_event_popup_names_the_segments_hit(browser, nara_run):
    p = Page(browser, nara_run / "map.html")
    events = embedded_data(nara_run / "map.html")["events"]
    i = next(k for k, e in enumerate(events) if e["segments_hit"] and "RN4" in " ".join(e["segment_names"]))
    p.page.locator(".siege-event-icon").nth(i).click(force=True)
    popup = p.page.locator(".siege-event-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert all(name in text for name in events[i]["segment_names"])  # e.g. "RN4 Mourdiah – Nara"
    assert not re.search(r"-?\d+\.\d{3,}", text)  # names, not coordinates
    assert p.errors == []


def test_time_slider_shows_earlier_states(browser, nara_run):
    p = Page(browser, nara_run / "map.html")
    data = embedded_data(nara_run / "map.html")
    assert [s["date"] for s in data["steps"]] == ["2023-12-01", "2024-02-01", "2024-03-07"]

    def degraded(k):
        return sum(r["state"] in ("degraded", "attacked") for r in data["steps"][k]["roads"].values())

    # the Kwala attack (from 1 February 2024) degrades the RN3 around the junction too
    assert degraded(0) < degraded(2)
    hit = "path.siege-road-degraded, path.siege-road-attacked"
    assert p.count(hit) == degraded(2)
    slider = p.page.locator(".siege-slider input")
    slider.fill("0")
    assert p.page.locator(".siege-slider strong").inner_text() == "2023-12-01"
    assert p.count(hit) == degraded(0)
    slider.fill("2")
    assert p.count(hit) == degraded(2)
    assert p.errors == []


def test_slider_opens_on_the_evaluation_date(browser, tmp_path):
    """A run through time is evaluated on the scenario's date: the slider opens there, not on the
    period's last day, so the map and the report's tables describe the same day."""

    shutil.copy(DATA / "depot.osm", tmp_path / "depot.osm")
    scenario = tmp_path / "depot.toml"
    scenario.write_text(
        (DATA / "depot.toml")
        .read_text(encoding="utf-8")
        .replace("end = 2024-01-10", "end = 2024-01-10\ndate = 2024-01-04", 1)
    )
    res = run_cli("run", scenario, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    data = embedded_data(tmp_path / "out" / "map.html")
    dates = [st["date"] for st in data["steps"]]
    assert "2024-01-04" in dates and dates[-1] == "2024-01-10"
    p = Page(browser, tmp_path / "out" / "map.html")
    assert p.page.locator(".siege-slider strong").inner_text() == "2024-01-04"
    assert p.page.locator(".siege-slider input").input_value() == str(dates.index("2024-01-04"))
    assert p.errors == []


HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'
HOSTILE_JS = "`); alert(3); (`${alert(4)}"


def test_scenario_text_is_shown_literally_and_runs_nothing(browser, tmp_path):
    scenario = tmp_path / "hostile.toml"
    scenario.write_text(
        f"""
name = {json.dumps(HOSTILE_ATTR + " siege")}
description = {json.dumps(HOSTILE)}
sources = [{json.dumps(HOSTILE_JS)}, "https://example.org/x?a=1&b=<b>"]
date = 2024-03-07

[[events]]
kind = "attack"
name = {json.dumps(HOSTILE_ATTR)}
place = "Kwala"
radius_km = 10
start = 2024-02-01
note = {json.dumps(HOSTILE)}
source = {json.dumps(HOSTILE_JS)}
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = run_cli("run", scenario, "--out", out)
    assert res.returncode == 0, res.stderr
    p = Page(browser, out / "map.html")
    p.page.locator(".siege-event-icon").first.click(force=True)
    popup = p.page.locator(".siege-event-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert HOSTILE in text and HOSTILE_ATTR in text and HOSTILE_JS in text
    assert HOSTILE_ATTR in p.page.locator(".siege-title h1").inner_text()
    p.page.locator(".siege-title summary").click()
    assert HOSTILE_JS in p.page.locator(".siege-title").inner_text()
    time.sleep(0.3)
    assert p.dialogs == []  # no alert ran
    assert p.count('img[src="x"]') == 0
    assert p.errors == [] and p.outside_requests() == []


def test_compare_map_shows_changes(browser, tmp_path):
    out = tmp_path / "compare.html"
    res = run_cli(
        "map",
        "--compare",
        REPO / "scenarios" / "baseline.toml",
        REPO / "scenarios" / "nara-rn4-2024.toml",
        "--out",
        out,
    )
    assert res.returncode == 0, res.stderr
    p = Page(browser, out)
    assert p.errors == [] and p.outside_requests() == []
    label = p.page.locator(".leaflet-control-layers-overlays label", has_text="Changes")
    assert "Baseline (no events)" in label.inner_text()
    assert p.count("path.siege-change") >= 2  # Nara's ring and the degraded RN4 segments
    title = p.page.locator(".siege-title").inner_text()  # the title names both scenarios
    assert "Baseline (no events)" in title and "Nara and the RN4" in title


def test_attacked_roads_look_different_from_closed_ones_and_every_layer_is_in_the_legend(browser, tmp_path):
    # the Nara scenario's ambushes leave the RN4 passable at a risk: "attacked", not "closed"
    out = tmp_path / "crit"
    res = run_cli("criticality", REPO / "scenarios" / "nara-rn4-2024.toml", "--out", out)
    assert res.returncode == 0, res.stderr
    data = embedded_data(out / "map.html")
    states = {st["state"] for st in data["steps"][-1]["roads"].values()}
    assert "attacked" in states
    p = Page(browser, out / "map.html")
    attacked = p.page.locator("path.siege-road-attacked").first.get_attribute("stroke")
    assert attacked and attacked != "#d62728"  # closed roads are red
    legend = p.page.locator(".siege-legend").inner_text()
    assert "attacked (under threat, passable)" in legend and "closed (no passage)" in legend
    assert data["extra_layers"] and all(layer["name"] in legend for layer in data["extra_layers"])
    assert p.errors == []


def test_map_file_is_small(nara_run):
    assert (nara_run / "map.html").stat().st_size < 5_000_000


def test_analysis_maps_have_their_layers(browser, tmp_path):
    scenario = REPO / "scenarios" / "nara-rn4-2024.toml"
    assert run_cli("criticality", scenario, "--out", tmp_path / "c").returncode == 0
    assert run_cli("interdict", scenario, "--target", "Nara", "--out", tmp_path / "i").returncode == 0
    res = run_cli(
        "sweep",
        REPO / "scenarios" / "bamako-fuel-blockade-2025.toml",
        "--runs",
        "3",
        "--workers",
        "1",
        "--out",
        tmp_path / "s",
    )
    assert res.returncode == 0, res.stderr
    p = Page(browser, tmp_path / "c" / "map.html")
    assert p.errors == [] and p.outside_requests() == []
    assert p.count("path.siege-critical") == 30
    p = Page(browser, tmp_path / "i" / "map.html")
    assert p.errors == [] and p.outside_requests() == []
    assert p.count("path.siege-cut") == 1  # Nara's cheapest cut, from its fuel: one RN4 segment
    assert p.page.locator(".siege-selected strong").inner_text() == "Nara"  # the map opens on the target
    overlays = p.page.locator(".leaflet-control-layers-overlays").inner_text()
    # on the Nara scenario truckers already refuse the RN4: nothing to protect, so no such layer
    assert "Attacker's minimum cut" in overlays and "Protect first" not in overlays
    corridors = REPO / "tests" / "data" / "corridors.toml"
    args = ("interdict", corridors, "--target", "Kati", "--budget", "2", "--out", tmp_path / "k")
    assert run_cli(*args).returncode == 0
    p = Page(browser, tmp_path / "k" / "map.html")
    assert p.errors == [] and "Protect first" in p.page.locator(".leaflet-control-layers-overlays").inner_text()
    assert p.count("path.siege-protect") == 1  # Kati's direct road from Siby
    p = Page(browser, tmp_path / "s" / "map.html")
    assert p.errors == [] and p.outside_requests() == []
    assert "probability of running out" in p.page.locator(".siege-legend").inner_text()


def test_estimated_links_are_dashed_and_the_legend_says_so(browser, nara_run):
    data = embedded_data(nara_run / "map.html")
    estimated = [f for f in data["roads"]["features"] if f["properties"]["estimated"]]
    assert estimated and any("Abeïbara" in f["properties"]["label"] for f in estimated)
    p = Page(browser, nara_run / "map.html")
    dashed = p.page.locator("path.siege-road-estimated")
    assert dashed.count() == len(estimated)
    assert dashed.first.get_attribute("stroke-dasharray")  # drawn dashed
    assert p.count("path.siege-road:not(.siege-road-estimated)[stroke-dasharray]") == 0
    assert "length estimated (no published distance)" in p.page.locator(".siege-legend").inner_text()
    assert p.errors == []


def test_mali_is_recognisable_borders_and_names(browser, nara_run):
    data = embedded_data(nara_run / "map.html")
    assert "Mali" in {f["properties"]["name"] for f in data["borders"]}  # Natural Earth via world-atlas
    p = Page(browser, nara_run / "map.html")
    assert p.count("path.siege-border") == len(data["borders"]) >= 8
    assert p.count("path.siege-river") == len(data["rivers"]) > 100  # the Niger, the Bani and the others
    labels = p.page.locator(".siege-label")
    shown = set(labels.all_inner_texts())
    # the capital and the regional capitals are always named; cercle seats only when zoomed in
    assert {"Bamako", "Kayes", "Tombouctou", "Gao", "Kidal"} <= shown and "Nara" not in shown
    p.page.evaluate("() => window.siegeMap.map.setView([15.17, -7.28], 8, { animate: false })")
    p.page.wait_for_function("() => [...document.querySelectorAll('.siege-label')].some(e => e.textContent === 'Nara')")
    # roads are drawn straight between the towns they join: two points per leg
    assert all(len(f["geometry"]["coordinates"]) == 2 for f in data["roads"]["features"])
    assert p.errors == []


def test_a_large_network_map_draws_major_roads_events_and_routes_and_says_what_it_leaves_out(monkeypatch):
    from siege import settings
    from siege.analyses.isolation import run
    from siege.outputs.map import map_data
    from siege.scenario import load_scenario

    result = run(load_scenario(REPO / "scenarios" / "nara-rn4-2024.toml"))
    full = map_data(result)
    monkeypatch.setattr(settings, "MAP_MAX_ROADS", 10)  # treat the bundled network as a national extract
    light = map_data(result)
    assert len(light["roads"]["features"]) < len(full["roads"]["features"])
    assert "minor road segments" in light["title"]["hidden_roads"] and not full["title"]["hidden_roads"]
    drawn = {f["properties"]["label"] for f in light["roads"]["features"]}
    classes = {f["properties"]["road_class"] for f in light["roads"]["features"]}
    assert any("RN4" in label for label in drawn)  # the attacked road is drawn whatever its class
    assert classes - set(settings.MAP_MAJOR_CLASSES), "roads on routes or hit by events are kept"
    # steps list only roads that are not open
    assert all(st["state"] != "open" for step in light["steps"] for st in step["roads"].values())
