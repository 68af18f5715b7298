"""The workbench (``siege serve``) on a generated extract: what a page and an edit cost.

    python benchmarks/serve.py [--ways 200000] [--browser]

Generates the OSM PBF of ``network_load.py`` (``--ways`` ways; 200,000 is the national benchmark's
extract), writes a scenario with its towns, two supply points and an attack (as ``national.py``),
starts ``siege serve`` on a free loopback port in its own process (bounded: it is killed if it has not
started within 15 minutes, and every request has a deadline) and measures, over HTTP as the page's
script sends them:

- ``page_s``, ``page_bytes``: the first page of a session (the baseline: what every edit cost before
  the workbench answered edits with what changed);
- ``edit_s``, ``edit_bytes``: a new edit (a road closed where the planner clicked) until its answer is
  in hand: the JSON of what changed, or, from a server that sends no state, that answer plus the page
  again;
- ``repeat_s``: undo, then the same edit again (the solved days are reused);
- with ``--browser`` (Chromium through Playwright): ``browser_page_s`` from navigation to the drawn
  map, and ``click_s`` from the click on *apply* to the map showing the new states.

Ratios are against the page measured in the same run; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from network_load import (  # benchmarks/network_load.py: scripts here run as python benchmarks/X.py
    GRID_STEP,
    extract_scenario,
    generate_pbf,
    grid_side,
)


def start_server(scenario: Path, folder: Path, env: dict, deadline_s: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "siege", "serve", str(scenario), "--port", "0", "--folder", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    end = time.monotonic() + deadline_s
    while not any("?token=" in line for line in lines):
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            sys.exit("siege serve did not start: " + "".join(lines)[-600:])
        time.sleep(0.2)
    return proc, next(re.search(r"(http://\S+)", line).group(1) for line in lines if "?token=" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ways", type=int, default=200_000)
    parser.add_argument("--browser", action="store_true", help="also time the page and a click in Chromium")
    args = parser.parse_args()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "SIEGE_CACHE_DIR": str(tmp / "cache")}
        pbf = tmp / "extract.osm.pbf"
        nodes, ways = generate_pbf(pbf, ways=args.ways)
        span = grid_side(args.ways) * GRID_STEP  # the grid's extent in degrees
        scenario = tmp / "bench.toml"
        middle = 10 + span / 2
        text = extract_scenario(
            pbf, name="Generated extract (workbench benchmark)", east=(middle, -12 + span),
            attack=(middle, -12 + span / 2), radius_km=20,
        )  # fmt: skip
        scenario.write_text(text, encoding="utf-8")
        print(f"generated {pbf.name}: {nodes:,} nodes, {ways:,} ways")
        proc, start = start_server(scenario, tmp, env, deadline_s=900)
        base = start.split("/?")[0]
        figures: dict[str, float] = {"nodes": nodes, "ways": ways}
        try:
            with httpx.Client(timeout=600) as client:
                first = client.get(start, follow_redirects=False)
                sid = first.headers["location"].split("s=")[1]
                t = time.perf_counter()
                page = client.get(base + first.headers["location"])
                page.raise_for_status()
                figures["page_s"], figures["page_bytes"] = time.perf_counter() - t, len(page.content)
                token = re.search(r'"token":"([^"]+)"', page.text).group(1)
                headers = {"Content-Type": "application/json", "X-Siege-Token": token}
                held = re.search(r'"version":(\d+)', page.text)  # the answer the page holds, as its script says
                if held:
                    headers["X-Siege-Known"] = held.group(1)
                # a cut on a road a quarter of the way across, where a planner would click
                edit = {
                    "kind": "cut",
                    "fields": {"lat": 10 + span / 4, "lon": -12 + span / 4, "effect": "close", "start": "2025-09-25"},
                }

                def send(action: str, body: dict) -> tuple[float, int]:
                    t = time.perf_counter()
                    r = client.post(f"{base}/api/{action}?s={sid}", content=json.dumps(body), headers=headers)
                    r.raise_for_status()
                    size = len(r.content)
                    if "state" not in r.json():  # an older server: the page must come again
                        size += len(client.get(f"{base}/?s={sid}").content)
                    else:
                        headers["X-Siege-Known"] = str(r.json()["state"]["version"])
                    return time.perf_counter() - t, size

                figures["edit_s"], figures["edit_bytes"] = send("edit", edit)
                send("undo", {})
                figures["repeat_s"], _ = send("edit", edit)
                send("undo", {})
            if args.browser:
                figures.update(browser_figures(f"{base}/?s={sid}", edit))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"page       {figures['page_s']:8.2f} s  {figures['page_bytes'] / 1e6:8.2f} MB   (baseline)")
    time_ratio, byte_ratio = figures["edit_s"] / figures["page_s"], figures["edit_bytes"] / figures["page_bytes"]
    print(
        f"edit       {figures['edit_s']:8.2f} s  {figures['edit_bytes'] / 1e6:8.2f} MB   "
        f"{time_ratio:.2f}× the page's time, {byte_ratio:.1%} of its bytes"
    )
    print(f"same edit  {figures['repeat_s']:8.2f} s{'':>16}{figures['repeat_s'] / figures['page_s']:.2f}× the page")
    if "click_s" in figures:
        print(f"browser: page drawn in {figures['browser_page_s']:.2f} s, click → answer {figures['click_s']:.2f} s")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


def browser_figures(url: str, edit: dict) -> dict[str, float]:
    """The page and one click in Chromium: the same edit sent through the page's own script."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(600_000)
        t = time.perf_counter()
        page.goto(url)
        page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
        out = {"browser_page_s": time.perf_counter() - t}
        t = time.perf_counter()
        if page.evaluate("() => typeof window.siegeWorkbench === 'object'"):
            # the edit is sent as a click sends it; nothing comes back to this script (returning the
            # answer through Playwright would be timed too)
            page.evaluate("(e) => { window.siegeWorkbench.send(e); }", edit)
            page.wait_for_function("document.querySelector('.siege-wb-status').textContent.startsWith('done')")
        else:  # an older page: the edit, then the page again
            with page.expect_navigation():
                page.evaluate(
                    "(e) => { const wb = window.siegeMap.data.workbench; fetch('/api/edit?s=' + wb.session, "
                    "{method: 'POST', headers: {'Content-Type': 'application/json', 'X-Siege-Token': wb.token},"
                    " body: JSON.stringify(e)}).then(() => location.reload()); }",
                    edit,
                )
            page.wait_for_function("window.siegeMap !== undefined && document.querySelector('.siege-workbench')")
        out["click_s"] = time.perf_counter() - t
        browser.close()
    return out


if __name__ == "__main__":
    main()
