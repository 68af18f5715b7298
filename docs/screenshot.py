"""Make docs/map-nara.png: the map of the README's default scenario, rendered in headless Chromium.

siege run scenarios/nara-rn4-2024.toml --out out/nara && python docs/screenshot.py out/nara/map.html
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if __name__ == "__main__":
    html = Path(sys.argv[1]).resolve()
    out = Path(__file__).parent / "map-nara.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(html.as_uri())
        page.wait_for_function("window.siegeMap !== undefined")
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")
