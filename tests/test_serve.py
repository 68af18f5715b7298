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


def answered(page, action) -> None:
    """Do ``action`` (a click) on the workbench and wait for the server's answer to be laid over the
    page, in place: the page is never loaded again (a marker set before survives)."""
    page.evaluate("() => { window.__samePage = true; }")
    before = page.evaluate("() => window.siegeWorkbench.answers()")
    action()
    # generous: the server re-runs the scenario, slowly on a busy machine
    page.wait_for_function(f"() => window.siegeWorkbench.answers() > {before}", timeout=120_000)
    assert page.evaluate("() => window.__samePage === true"), "the page was sent again"
    assert "done" in page.locator(".siege-wb-status").inner_text()


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
    answered(page, lambda: page.locator(".siege-wb-apply").click())
    assert _town(page, "Nara") == "isolated"
    # drawn in place: Nara's marker and the RN4's line take the new states, the view stays where it was
    nara_i = page.evaluate("() => window.siegeMap.data.towns.findIndex(t => t.name === 'Nara')")
    assert page.evaluate(f"() => window.siegeMap.townLayers[{nara_i}].options.fillColor") == "#7f0000"
    assert page.locator("path.siege-road-closed").count() >= 1
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
    answered(page, lambda: page.locator(".siege-wb-undo").click())
    assert _town(page, "Nara") == "open" and page.locator("path.siege-road-closed").count() == 0
    assert page.locator(".siege-wb-undo").is_disabled()
    # a click on a town picks it for a blockade
    nara = page.evaluate("() => window.siegeMap.data.towns.findIndex(t => t.name === 'Nara')")
    page.locator(f"path.siege-town-{nara}").click(force=True)
    assert page.locator(".siege-wb-town").input_value() == "Nara"
    answered(page, lambda: page.locator(".siege-wb-blockade").click())
    assert _town(page, "Nara") == "isolated"
    # the popup shows the new state; a reload draws the same page as the answers did
    page.locator(f"path.siege-town-{nara}").click(force=True)
    assert "isolated" in page.locator(".siege-town-popup").inner_text()
    page.reload()
    page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
    assert _town(page, "Nara") == "isolated" and "town_blockade: Nara" in page.locator(".siege-wb-edits").inner_text()
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
    answered(page, lambda: page.locator(".siege-wb-apply").click())
    assert "cut: airport of Tombouctou" in page.locator(".siege-wb-edits").inner_text()
    legs = page.evaluate(
        "() => { const sm = window.siegeMap, a = sm.data.airports.find(x => x.name === 'Tombouctou');"
        " const s = sm.data.steps[sm.data.steps.length - 1];"
        " return a.legs.map(i => (s.roads[i] || {state: 'open'}).state); }"
    )
    assert legs and set(legs) == {"closed"}

    # an airlift: tonnes by air from Bamako to Gao
    def new_date():  # a convoy leaves on a day: the tab's date (one change event, as a date picker sends)
        page.evaluate(
            "() => { const d = document.querySelector('.siege-wb-date'); d.value = '2025-10-01';"
            " d.dispatchEvent(new Event('change')); }"
        )

    answered(page, new_date)
    assert "2025-10-01" in page.locator(".siege-when").inner_text()
    page.locator(".siege-wb-convoy-mode").select_option("air")
    page.locator(".siege-wb-convoy-from").select_option("Bamako")
    page.locator(".siege-wb-convoy-to").select_option("Gao")
    page.locator(".siege-wb-convoy-trucks").fill("40")
    answered(page, lambda: page.locator(".siege-wb-convoy").click())
    assert "convoy: Bamako → Gao by air" in page.locator(".siege-wb-edits").inner_text()
    assert errors == []


def _page_data(html: str) -> dict:
    return json.loads(re.search(r'<script id="siege-data" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_an_edit_answers_with_what_changed_and_a_reload_draws_the_same(tmp_path, monkeypatch):
    """An edit's answer is JSON of the states (no road lines but those drawn for the first time); a
    road drawn by an answer keeps its place after it, and the page sent again shows what the answer did."""
    from starlette.testclient import TestClient

    from siege import settings
    from siege.serve import Workbench, create_app

    monkeypatch.setattr(settings, "MAP_MAX_ROADS", 10)  # the bundled network drawn as a national extract
    workbench = Workbench(REPO / "scenarios" / "nara-rn4-2024.toml", tmp_path)
    base = "http://127.0.0.1:8000"
    with TestClient(create_app(workbench), base_url=base) as client:
        first = client.get(f"/?token={workbench.token}", follow_redirects=False)
        sid = first.headers["location"].split("s=")[1]
        page = client.get(first.headers["location"])
        before = _page_data(page.text)
        drawn = len(before["roads"]["features"])
        G = workbench.G
        # a minor road the page leaves out: its middle, where a planner would click once it is drawn
        undrawn = next(
            (u, v, k)
            for u, v, k, d in G.edges(keys=True, data=True)
            if workbench._drawn.position((u, v, k)) is None and d.get("mode", "road") == "road"
        )
        mid = G.edges[undrawn]["geometry"].interpolate(0.5, normalized=True)
        headers = {"Content-Type": "application/json", "X-Siege-Token": before["workbench"]["token"], "Origin": base}
        edit = {"kind": "cut", "fields": {"lat": mid.y, "lon": mid.x, "effect": "close"}}
        r = client.post(f"/api/edit?s={sid}", content=json.dumps(edit), headers=headers)
        assert r.status_code == 200, r.text
        answer = r.json()["state"]
        assert "roads" not in answer and "borders" not in answer and len(r.content) < len(page.content) / 3
        assert [t["name"] for t in answer["towns"]] == [t["name"] for t in before["towns"]]
        # the cut road is drawn from now on, after the roads the page had: no position moves
        added = [n["index"] for n in answer["new_roads"]]
        assert added and added == list(range(drawn, drawn + len(added)))
        closed = {int(i) for st in answer["steps"] for i, s in st["roads"].items() if s["state"] == "closed"}
        assert closed and closed <= set(range(drawn + len(added)))
        assert closed & set(added), "the road the edit closed is one of those drawn for it"
        assert answer["workbench"]["edits"][0]["text"].startswith("cut:")
        # the page sent again draws what the answer did
        after = _page_data(client.get(f"/?s={sid}").text)
        assert after["towns"] == answer["towns"] and after["steps"] == answer["steps"]
        assert after["events"] == answer["events"]
        assert [f["geometry"] for f in after["roads"]["features"][:drawn]] == [
            f["geometry"] for f in before["roads"]["features"]
        ]
        assert [f["properties"]["label"] for f in after["roads"]["features"][drawn:]] == [
            n["feature"]["properties"]["label"] for n in answer["new_roads"]
        ]
        # undo: the state without the edit; the road stays drawn (open), nothing is added again
        r = client.post(f"/api/undo?s={sid}", content="{}", headers=headers)
        again = r.json()["state"]
        assert "new_roads" not in again and not again["workbench"]["edits"]
        assert again["steps"] == before["steps"] and again["towns"] == before["towns"]


def test_an_answer_leaves_out_the_routes_the_page_holds(tmp_path):
    """A tab that says which answer it holds gets only the routes that changed; one that does not (or
    holds an older answer) gets them all."""
    from starlette.testclient import TestClient

    from siege.serve import Workbench, create_app

    workbench = Workbench(REPO / "scenarios" / "nara-rn4-2024.toml", tmp_path)
    base = "http://127.0.0.1:8000"
    with TestClient(create_app(workbench), base_url=base) as client:
        first = client.get(f"/?token={workbench.token}", follow_redirects=False)
        sid = first.headers["location"].split("s=")[1]
        page = _page_data(client.get(first.headers["location"]).text)
        headers = {"Content-Type": "application/json", "X-Siege-Token": page["workbench"]["token"], "Origin": base}
        rn4 = next(
            f for f in page["roads"]["features"]
            if all(w in f["properties"]["label"] for w in ("RN4", "Mourdiah", "Nara"))
        )  # fmt: skip
        (x0, y0), (x1, y1) = rn4["geometry"]["coordinates"][0], rn4["geometry"]["coordinates"][-1]
        edit = {"kind": "cut", "fields": {"lat": (y0 + y1) / 2, "lon": (x0 + x1) / 2, "ref": "RN4", "effect": "close"}}
        known = {**headers, "X-Siege-Known": str(page["workbench"]["version"])}
        answer = client.post(f"/api/edit?s={sid}", content=json.dumps(edit), headers=known).json()["state"]
        same = [t for t in answer["towns"] if t.get("same_route")]
        assert same and all(t["route"] is None for t in same)
        assert "Nara" not in {t["name"] for t in same}  # its road in is cut: its route is sent
        # a page holding its routes lays them back: what it draws is the page sent again
        after = _page_data(client.get(f"/?s={sid}").text)
        by_name = {t["name"]: t for t in page["towns"]}
        for t in answer["towns"]:
            route = by_name[t["name"]]["route"] if t.get("same_route") else t["route"]
            assert route == next(x for x in after["towns"] if x["name"] == t["name"])["route"]
        # no version, or a stale one: every route is sent
        stale = {**headers, "X-Siege-Known": str(page["workbench"]["version"])}
        again = client.post(f"/api/undo?s={sid}", content="{}", headers=stale).json()["state"]
        assert not any(t.get("same_route") for t in again["towns"])
