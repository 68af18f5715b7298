"""siege serve: the what-if workbench driven in Chromium, and its requests checked like scenario files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import pytest

from siege.analyses.isolation import run
from siege.scenario import load_scenario

from .conftest import REPO, run_cli


def start_server(*args: str, ready: str = "?token=", timeout: float = 300) -> tuple[subprocess.Popen, list[str]]:
    """``siege serve ARGS`` in a subprocess; returns it and its stderr lines once a line holds ``ready``
    (polls for it with a generous deadline: the network loads slowly on a busy machine)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "siege", "serve", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not any(ready in line for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            reader.join(timeout=5)
            proc.kill()
            pytest.fail(f"siege serve did not start: {''.join(lines)[-800:]}")
        time.sleep(0.1)
    return proc, lines


def address(lines: list[str]) -> str:
    """The address with the token that siege serve printed."""
    return next(re.search(r"(http://\S+)", line).group(1) for line in lines if "?token=" in line)


def serving(folder):
    """``siege serve`` on the baseline scenario saving into ``folder``: yields (base URL, the printed
    address with its token, folder), then stops it."""
    proc, lines = start_server(str(REPO / "scenarios" / "baseline.toml"), "--port", "0", "--folder", str(folder))
    start = address(lines)
    yield start.split("/?")[0], start, folder
    proc.terminate()
    proc.wait(timeout=60)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serving(tmp_path_factory.mktemp("saved"))


def open_session(start: str) -> tuple[str, str]:
    """Open a session as a page does: the session id from the redirect, the page's token from the page."""
    import httpx

    first = httpx.get(start, follow_redirects=False)
    assert first.status_code == 303, first.text
    sid = first.headers["location"].split("s=")[1]
    page = httpx.get(start.split("/?")[0] + first.headers["location"], timeout=120).text
    token = re.search(r'"token":\s*"([^"]+)"', page).group(1)
    return sid, token


def _town(page, name):
    return page.evaluate(
        "(n) => { const d = window.siegeMap.data; return d.towns.find(t => t.name === n).status; }", name
    )


def test_close_the_rn4_near_mourdiah_see_nara_isolated_save_validate_reload(server, browser):
    _url, start, folder = server
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(start)
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert "?s=" in page.url and _town(page, "Nara") == "open"
    # click the RN4 between Mourdiah and Nara, where it is drawn
    point = page.evaluate(
        """() => {
          const sm = window.siegeMap, f = sm.data.roads.features;
          const i = f.findIndex(x => x.properties.label.includes("RN4") && x.properties.label.includes("Mourdiah")
                                      && x.properties.label.includes("Nara"));
          const c = f[i].geometry.coordinates, n = c.length - 1;
          const mid = [(c[0][0] + c[n][0]) / 2, (c[0][1] + c[n][1]) / 2];
          sm.map.setView([mid[1], mid[0]], 9, { animate: false });
          const p = sm.map.latLngToContainerPoint([mid[1], mid[0]]), r = sm.map.getContainer().getBoundingClientRect();
          return [r.left + p.x, r.top + p.y];
        }"""
    )
    page.mouse.click(point[0], point[1])
    page.locator(".siege-wb-apply").wait_for()
    assert "RN4" in page.locator(".siege-wb-form h4").inner_text()
    with page.expect_navigation():
        page.locator(".siege-wb-apply").click()
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert _town(page, "Nara") == "isolated"
    # the page came again with the planner's view kept: the same zoom, centred where it was
    view = page.evaluate("() => { const m = window.siegeMap.map, c = m.getCenter(); return [m.getZoom(), c.lat]; }")
    assert view[0] == 9 and abs(view[1] - (14.47361 + 15.16931) / 2) < 0.05
    assert "cut: RN4 near" in page.locator(".siege-wb-edits").inner_text()
    assert "Nara" in page.locator(".siege-wb-results").inner_text()  # the results table updates too
    # save, validate the file, load it again: Nara is still cut off
    page.locator(".siege-wb-name").fill("nara-cut")
    page.locator(".siege-wb-save").click()
    page.wait_for_function("document.querySelector('.siege-wb-status').textContent.startsWith('saved')")
    saved = folder / "nara-cut.toml"
    assert saved.exists() and "added in siege serve" in saved.read_text(encoding="utf-8")
    res = run_cli("validate", saved)
    assert res.returncode == 0, res.stderr
    nara = next(t for t in run(load_scenario(saved)).towns if t.town == "Nara")
    assert nara.status == "isolated"
    # undo brings Nara back; another tab never saw the edit
    other = browser.new_page()
    other.goto(start)
    other.wait_for_function("window.siegeMap !== undefined")
    assert _town(other, "Nara") == "open" and other.url != page.url
    with page.expect_navigation():
        page.locator(".siege-wb-undo").click()
    page.wait_for_function("window.siegeMap !== undefined")
    assert _town(page, "Nara") == "open"
    # a click on a town picks it for a blockade
    nara = page.evaluate("() => window.siegeMap.data.towns.findIndex(t => t.name === 'Nara')")
    page.locator(f"path.siege-town-{nara}").click(force=True)
    assert page.locator(".siege-wb-town").input_value() == "Nara"
    with page.expect_navigation():
        page.locator(".siege-wb-blockade").click()
    page.wait_for_function("window.siegeMap !== undefined")
    assert _town(page, "Nara") == "isolated"
    assert errors == []


def test_requests_are_checked_like_scenario_files_and_text_stays_data(server, browser):
    import httpx

    url, start, folder = server
    sid, token = open_session(start)

    def post(action, body):
        return httpx.post(
            f"{url}/api/{action}?s={sid}",
            content=json.dumps(body),
            headers={"Content-Type": "application/json", "X-Siege-Token": token},
        )

    bad = post("edit", {"kind": "cut", "fields": {"lat": "north", "lon": -7.3}})
    assert bad.status_code == 400 and "lat" in bad.json()["error"] and "\n" not in bad.json()["error"]
    assert post("edit", {"kind": "rm -rf", "fields": {}}).status_code == 400
    assert post("edit", {"kind": "cut", "fields": {"polygon_file": "/etc/passwd"}}).status_code == 400
    assert post("save", {"name": "../outside"}).status_code == 400
    assert post("save", {"name": "/tmp/x"}).status_code == 400
    assert not list(folder.parent.glob("outside*"))
    # a name that looks like markup is shown as text in the edits list, and runs nothing
    ok = post("edit", {"kind": "town_blockade", "fields": {"place": "Nara", "name": "<img src=x onerror=alert(1)>"}})
    assert ok.status_code == 200, ok.text
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{url}/?s={sid}")
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert page.locator(".siege-workbench img").count() == 0 and dialogs == []
    assert _town(page, "Nara") == "isolated"


def test_close_an_airport_and_add_an_airlift(server, browser):
    _url, start, _folder = server
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(start)
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    i = page.evaluate("() => window.siegeMap.data.airports.findIndex(a => a.name === 'Tombouctou')")
    assert i >= 0
    page.evaluate(f"() => window.siegeMap.airportLayers[{i}].fire('click')")
    page.locator(".siege-wb-apply").wait_for()
    assert page.locator(".siege-wb-form h4").inner_text() == "airport of Tombouctou"
    with page.expect_navigation(timeout=120_000):  # the server re-runs the scenario: generous on a busy machine
        page.locator(".siege-wb-apply").click()
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert "cut: airport of Tombouctou" in page.locator(".siege-wb-edits").inner_text()
    legs = page.evaluate(
        "() => { const sm = window.siegeMap, a = sm.data.airports.find(x => x.name === 'Tombouctou');"
        " const s = sm.data.steps[sm.data.steps.length - 1];"
        " return a.legs.map(i => (s.roads[i] || {state: 'open'}).state); }"
    )
    assert legs and set(legs) == {"closed"}
    # an airlift: tonnes by air from Bamako to Gao
    with page.expect_navigation(timeout=120_000):  # a convoy leaves on a day: the tab's date
        page.locator(".siege-wb-date").fill("2025-10-01")
        page.locator(".siege-wb-date").dispatch_event("change")
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    page.locator(".siege-wb-convoy-mode").select_option("air")
    page.locator(".siege-wb-convoy-from").select_option("Bamako")
    page.locator(".siege-wb-convoy-to").select_option("Gao")
    page.locator(".siege-wb-convoy-trucks").fill("40")
    with page.expect_navigation(timeout=120_000):
        page.locator(".siege-wb-convoy").click()
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert "convoy: Bamako → Gao by air" in page.locator(".siege-wb-edits").inner_text()
    assert errors == []
