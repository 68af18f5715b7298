"""Shared fixtures. No test may reach the internet: connections outside loopback fail loudly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# the prepared-graph cache of this test session, never the user's (subprocesses inherit it)
os.environ["SIEGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="siege-test-cache-")
REPO = Path(__file__).parent.parent

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
        return _real_connect(self, address)
    raise ConnectionRefusedError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Refuse any connection beyond this machine, as an offline machine would."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)

    def no_dns(host, *args, **kwargs):
        if host in ("127.0.0.1", "::1", "localhost", None):
            return _real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(f"test tried to resolve {host!r}")

    _real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", lambda host: no_dns(host)[0][4][0])


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m siege ARGS`` in a subprocess, as a user would.

    HTTP(S) goes to a dead loopback proxy, so the subprocess cannot download anything either.
    """
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    return subprocess.run(
        [sys.executable, "-m", "siege", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="session")
def mali():
    """The bundled Mali network, loaded once."""
    from siege import load_network

    return load_network()


@pytest.fixture(scope="session")
def gazetteer():
    from siege import mali_gazetteer

    return mali_gazetteer()


#: Debian's Chromium, driven by Playwright for the browser tests (.ci/run installs it)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (module scope: its event loop never outlives the module)."""
    assert CHROMIUM, "Debian's chromium is needed for the browser tests (.ci/run installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
