"""siege serve attacked as a local web app: Host, Origin, content type, tokens, bodies, sessions, the
event loop, the port, save names. Most run in-process against the real application; the browser
test posts from another origin's page and from a file:// page."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest

from siege import serve as serve_module
from siege.io import write_text_exclusive
from siege.serve import Workbench, create_app

from .conftest import REPO
from .test_serve import address, open_session, serving, start_server

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def workbench(tmp_path_factory):
    return Workbench(REPO / "scenarios" / "nara-rn4-2024.toml", tmp_path_factory.mktemp("saved"))


@pytest.fixture
def client(workbench):
    from starlette.testclient import TestClient

    workbench.sessions.clear()
    for f in workbench.folder.iterdir():
        f.unlink()
    with TestClient(create_app(workbench), base_url=BASE) as c:
        yield c


def session(client, workbench) -> tuple[str, dict]:
    """A new session opened with the server's token; its page token in the headers a page sends."""
    first = client.get(f"/?token={workbench.token}", follow_redirects=False)
    assert first.status_code == 303
    sid = first.headers["location"].split("s=")[1]
    return sid, {
        "Content-Type": "application/json",
        "X-Siege-Token": workbench.sessions[sid]["token"],
        "Origin": BASE,
    }


EDIT = {"kind": "town_blockade", "fields": {"place": "Nara"}}


def test_foreign_host_is_refused_before_anything_runs(client, workbench):
    # DNS rebinding: the browser sends the attacker's name as Host
    r = client.get(f"/?token={workbench.token}", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 400 and "Host" in r.text and r.text.count("\n") == 1
    assert workbench.sessions == {}
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000"):
        ok = client.get(f"/?token={workbench.token}", headers={"Host": host}, follow_redirects=False)
        assert ok.status_code == 303, host


def test_a_session_needs_the_printed_token(client, workbench):
    for url in ("/", "/?token=", "/?token=guess", "/?s=made-up"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 403 and "token" in r.text
    assert workbench.sessions == {}


def test_state_changes_need_json_the_own_origin_and_the_page_token(client, workbench):
    sid, headers = session(client, workbench)
    url = f"/api/edit?s={sid}"
    refused = [
        ({**headers, "Content-Type": "text/plain"}, 415),  # a <form enctype="text/plain">
        ({**headers, "Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({**headers, "Origin": "http://evil.example"}, 403),
        ({**headers, "Origin": "http://127.0.0.1:9999"}, 403),  # another port is another origin
        ({**headers, "Origin": "null"}, 403),  # a file:// page or a sandboxed frame
        ({**headers, "Sec-Fetch-Site": "same-site"}, 403),
        ({**headers, "Sec-Fetch-Site": "cross-site"}, 403),
        ({k: v for k, v in headers.items() if k != "X-Siege-Token"}, 403),
        ({**headers, "X-Siege-Token": "guess"}, 403),
    ]
    for h, status in refused:
        r = client.post(url, content=json.dumps(EDIT), headers=h)
        assert r.status_code == status, (h, r.text)
        assert "\n" not in r.text.strip()
    assert workbench.sessions[sid]["edits"] == []
    # another session's page token does not open this one
    _, other = session(client, workbench)
    assert client.post(url, content=json.dumps(EDIT), headers=other).status_code == 403
    assert client.post(url, content=json.dumps(EDIT), headers=headers).status_code == 200
    assert len(workbench.sessions[sid]["edits"]) == 1
    # a foreign non-navigation GET (an <img>, a script) is refused; a link opened in a new tab is not
    img = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    assert client.get(f"/?token={workbench.token}", headers=img, follow_redirects=False).status_code == 403
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert client.get(f"/?token={workbench.token}", headers=link, follow_redirects=False).status_code == 303


def test_bodies_are_bounded_and_refused_in_one_line(client, workbench):
    sid, headers = session(client, workbench)
    url = f"/api/edit?s={sid}"
    # declared too large: refused from the header, before a byte is read
    declared = client.post(url, content=b"{}", headers={**headers, "Content-Length": str(200_000_000)})
    assert declared.status_code == 413
    # streamed (no length): refused when it passes the limit (a real socket checks when: below)
    streamed = client.post(url, content=(b" " * 65536 for _ in range(300)), headers=headers)
    assert streamed.status_code == 413
    deep = client.post(url, content="[" * 100_000 + "]" * 100_000, headers=headers)
    assert deep.status_code == 400 and "nested" in deep.json()["error"]
    nested = {"kind": "cut", "fields": {"name": [[[[[[[[["x"]]]]]]]]]}}
    assert client.post(url, content=json.dumps(nested), headers=headers).status_code == 400
    broken = client.post(url, content=b'{"kind": ', headers=headers)
    assert broken.status_code == 400
    for r in (declared, streamed, deep, broken):
        assert "\n" not in r.text.strip()
    # what an edit may hold is bounded too: a session cannot grow without end
    big = {"kind": "town_blockade", "fields": {"place": "Nara", "name": "N" * 900_000}}
    r = client.post(url, content=json.dumps(big), headers=headers)
    assert r.status_code == 400 and "bytes" in r.json()["error"]
    assert workbench.sessions[sid]["edits"] == []


def test_sessions_are_dropped_by_last_use(client, workbench):
    planner, headers = session(client, workbench)
    for i in range(serve_module.MAX_SESSIONS + 20):
        session(client, workbench)
        if i % 10 == 0:  # the planner keeps working in their tab
            assert client.post(f"/api/undo?s={planner}", content="{}", headers=headers).status_code == 200
    assert len(workbench.sessions) == serve_module.MAX_SESSIONS
    assert planner in workbench.sessions
    # the tab left alone longest is the one dropped
    idle, idle_headers = session(client, workbench)
    for _ in range(serve_module.MAX_SESSIONS):
        session(client, workbench)
    assert client.post(f"/api/undo?s={idle}", content="{}", headers=idle_headers).status_code == 403


def test_save_names_match_in_full_and_files_are_created_exclusively(client, workbench, tmp_path):
    sid, headers = session(client, workbench)
    for name in ("nl\n", "a\nb", "ok\r", "../x", "a.b", "", "x" * 61):
        r = client.post(f"/api/save?s={sid}", content=json.dumps({"name": name}), headers=headers)
        assert r.status_code == 400, name
    assert list(workbench.folder.iterdir()) == []
    assert client.post(f"/api/save?s={sid}", content=json.dumps({"name": "ok"}), headers=headers).status_code == 200
    assert [p.name for p in workbench.folder.iterdir()] == ["ok.toml"]
    # a file that appears between the check and the write is never replaced
    target = tmp_path / "raced.toml"
    target.write_text("theirs\n")
    with pytest.raises(FileExistsError):
        write_text_exclusive(target, "ours\n")
    assert target.read_text() == "theirs\n" and [p.name for p in tmp_path.iterdir()] == ["raced.toml"]


def _post(url: str, sid: str, token: str, action: str, body: dict) -> tuple[int, float]:
    import httpx

    r = httpx.post(
        f"{url}/api/{action}?s={sid}",
        content=json.dumps(body),
        headers={"Content-Type": "application/json", "X-Siege-Token": token},
        timeout=300,
    )
    return r.status_code, time.monotonic()


@pytest.mark.slow
def test_a_cheap_request_is_answered_while_another_tab_renders(tmp_path):

    # a period scenario: its page simulates 153 days and renders a map with a slider, seconds of work
    proc, lines = start_server(
        str(REPO / "scenarios" / "bamako-fuel-blockade-2025.toml"), "--port", "0", "--folder", str(tmp_path)
    )
    try:
        start = address(lines)
        url = start.split("/?")[0]
        sid, token = open_session(start)
        other, other_token = open_session(start)
        # a new edit in one tab is slow to answer: its answer is a new day-by-day simulation and its states
        done = {}
        edit = {"kind": "town_blockade", "fields": {"place": "Kayes"}}
        heavy = threading.Thread(target=lambda: done.setdefault("edit", _post(url, sid, token, "edit", edit)))
        heavy.start()
        time.sleep(0.5)  # the edit is being solved in the render thread now
        # saving is checked and written off the render thread: it never waits for an edit's answer
        status, answered = _post(url, other, other_token, "save", {"name": "while-rendering"})
        heavy.join(timeout=300)
        assert status == 200 and (tmp_path / "while-rendering.toml").exists()
        assert done["edit"][0] == 200
        assert answered < done["edit"][1], "the save waited for the other tab's edit"
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_port_in_use_is_one_line_before_the_network_loads(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        # the scenario does not exist: had the network been loaded first, the error would name it
        res = subprocess.run(
            [sys.executable, "-m", "siege", "serve", str(tmp_path / "missing.toml"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"siege: error: --port: 127.0.0.1:{port} is in use (choose another "
                                               "with --port)"]  # fmt: skip


@pytest.mark.slow
def test_a_non_loopback_bind_warns_once_and_still_needs_the_token(tmp_path):
    import httpx

    proc, lines = start_server("--host", "0.0.0.0", "--port", "0", "--folder", str(tmp_path))
    try:
        warnings = [line for line in lines if "warning" in line]
        assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and "token" in warnings[0]
        start = address(lines)
        url = start.split("/?")[0]
        assert httpx.get(url + "/", follow_redirects=False).status_code == 403
        assert httpx.get(start, follow_redirects=False).status_code == 303
        assert httpx.get(start, headers={"Host": "attacker.example"}, follow_redirects=False).status_code == 400
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


ATTACK = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="{url}/api/save?s={sid}">
<input name='{{"name":"planted","x":"' value='"}}'></form>
<script>
fetch("{url}/api/edit?s={sid}", {{method: "POST", mode: "no-cors", body: JSON.stringify({edit}),
  headers: {{"Content-Type": "text/plain"}}}}).then(() => {{ window.fetched = 1; }}, () => {{ window.fetched = 2; }});
fetch("{url}/api/save?s={sid}", {{method: "POST", mode: "no-cors", body: '{{"name": "planted2"}}'}})
  .finally(() => {{ window.saved = 1; }});
</script></body></html>"""


@pytest.mark.slow
def test_pages_of_other_origins_change_nothing(server_for_attack, browser, tmp_path):
    url, start, folder = server_for_attack
    sid, _token = open_session(start)  # the attacker even knows the session id (not the page token)
    html = ATTACK.format(url=url, sid=sid, edit=json.dumps(EDIT))
    site = tmp_path / "site"
    site.mkdir()
    (site / "attack.html").write_text(html)

    handler = lambda *a, **k: SimpleHTTPRequestHandler(*a, directory=str(site), **k)  # noqa: E731
    other_origin = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other_origin.serve_forever, daemon=True).start()
    try:
        for where in (f"http://127.0.0.1:{other_origin.server_port}/attack.html", (site / "attack.html").as_uri()):
            page = browser.new_page()
            page.goto(where)
            page.wait_for_function("window.fetched !== undefined && window.saved !== undefined")
            with page.expect_navigation():
                page.evaluate("document.getElementById('f').submit()")
            page.close()
    finally:
        other_origin.shutdown()
    assert list(folder.iterdir()) == []
    # the session is as it was: the planner's page shows no edit
    import httpx

    shown = httpx.get(f"{url}/?s={sid}", timeout=120).text
    assert '"edits": []' in shown or '"edits":[]' in shown


@pytest.mark.slow
def test_a_streamed_body_is_cut_off_at_the_limit(server_for_attack):
    url, start, _ = server_for_attack
    sid, token = open_session(start)
    port = int(url.rsplit(":", 1)[1])
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(
            f"POST /api/edit?s={sid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Siege-Token: {token}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"10000\r\n" + b" " * 65536 + b"\r\n"
        answer = b""
        try:
            while sent < 200_000_000:
                s.sendall(chunk)
                sent += 65536
                s.settimeout(0.001)
                with contextlib.suppress(TimeoutError):
                    answer += s.recv(4096)
                s.settimeout(60)
                if answer:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(60)
        while b"\r\n\r\n" not in answer:
            more = s.recv(4096)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 20_000_000, f"{sent:,} bytes were taken before the refusal"


@pytest.fixture(scope="module")
def server_for_attack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacked")
    yield from serving(folder)
    assert os.listdir(folder) == []
