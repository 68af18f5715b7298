"""siege serve: the what-if workbench driven in Chromium, and its requests checked like scenario files."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from siege.analyses.isolation import run
from siege.scenario import load_scenario

from .conftest import REPO, run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "siege", "serve", str(REPO / "scenarios" / "baseline.toml"), "--port", str(port),
         "--folder", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"siege serve did not start: {proc.stderr.read().decode()[-500:]}")
    yield f"http://127.0.0.1:{port}", folder
    proc.terminate()
    proc.wait(timeout=10)


def _town(page, name):
    return page.evaluate(
        "(n) => { const d = window.siegeMap.data; return d.towns.find(t => t.name === n).status; }", name
    )


def test_close_the_rn4_near_mourdiah_see_nara_isolated_save_validate_reload(server, browser):
    url, folder = server
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
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
    other.goto(url + "/")
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

    url, folder = server
    first = httpx.get(url + "/", follow_redirects=False)
    sid = first.headers["location"].split("s=")[1]

    def post(action, body):
        return httpx.post(f"{url}/api/{action}?s={sid}", content=json.dumps(body))

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
