"""``siege serve``: a local what-if workbench on the map (Starlette, served by uvicorn).

Each browser tab has its own session (``?s=`` in the address): a list of edits laid over the loaded
scenario — a road closed or degraded where the planner clicked, a town blockaded, a convoy, an
escort — and the evaluation date. Every change rebuilds the scenario from its file plus the edits
through :func:`siege.scenario.scenario_from_dict`, so a request passes exactly the checks a
scenario file passes, runs it and sends the page again (the same map renderer as ``siege run``).
Edits are events with a note saying where they came from; *save* writes the whole scenario as TOML
into the chosen folder (a plain name, never a path, never over an existing file), which ``siege
validate`` accepts. Text from requests is data: it reaches the page only as JSON read by the map's
script, never as markup.

Who can use it: every request passes :mod:`siege.serve_guard` (Host, Origin, JSON, body size). A
session is created only by the address printed at start, which carries the server's random token;
each page then holds its own session's token and sends it with every change (``X-Siege-Token``), so
no other page — another site, another port, a ``file://`` page — can create, read or change a
session. Sessions are kept by last use, at most :data:`MAX_SESSIONS`, each at most
:data:`MAX_SESSION_BYTES` of edits. Solving and rendering run in a worker thread, never on the
event loop, so a cheap request is answered while another tab's page renders.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import re
import secrets
import socket
import sys
import threading
import tomllib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from siege.errors import SiegeInputError
from siege.io import write_text_exclusive
from siege.outputs.map import DrawnRoads
from siege.scenario import Scenario, scenario_from_dict
from siege.scenario.dates import parse_date
from siege.scenario.model import read_toml, scenario_toml_text

#: what an edit may set, per kind (anything else in a request is refused)
EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "cut": ("lat", "lon", "place", "mode", "ref", "effect", "commodities", "start", "end", "name"),
    "attack": ("lat", "lon", "ref", "radius_km", "mode", "effect", "commodities", "start", "end", "name"),
    "town_blockade": ("place", "effect", "commodities", "start", "end", "name"),
    "convoy": ("from", "to", "trucks", "tonnes", "mode", "commodity", "escorted", "date", "name"),
    "escort": ("ref", "from", "to", "capacity_trucks_per_day", "start", "end", "name"),
}
NOTE = "added in siege serve"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}")
#: open tabs kept at once; the least recently used is dropped first
MAX_SESSIONS = 64
#: edits in one tab, and their size as JSON (bytes): sessions cannot grow the server without bound
MAX_EDITS = 200
MAX_SESSION_BYTES = 256_000


class Workbench:
    """The loaded scenario, its network (loaded once) and every tab's edits."""

    def __init__(self, scenario_path: str | Path | None, folder: str | Path) -> None:
        self.folder = Path(folder)
        if scenario_path is None:  # no file: what-ifs on the bundled network, from no event
            self.path = self.folder / "untitled.toml"
            self.raw = {"name": "What-if on the bundled Mali network"}
        else:
            self.path = Path(scenario_path)
            self.raw = read_toml(self.path)
        self.loaded = scenario_from_dict(self.raw, where=str(self.path), base=self.path.parent)
        self.G = self.loaded.G
        #: the server's token: only the address carrying it opens a session
        self.token = secrets.token_urlsafe(24)
        self.sessions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # sessions are read by the render thread too
        self._drawn: DrawnRoads | None = None  # the roads every tab's page draws first

    def drawn(self, sid: str, result) -> DrawnRoads:
        """The roads this tab's page draws, in its order: every tab's (from the first run: on a large
        network the major roads, events' roads and towns' routes), then those its own edits touched
        since. An edit's answer adds to them, so the page's road positions never change."""
        from siege.outputs.map import drawn_roads

        with self._lock:
            if self._drawn is None:
                self._drawn = drawn_roads(result)
            state = self.sessions[sid]
            if "drawn" not in state:
                state["drawn"] = DrawnRoads([], base=self._drawn)
            return state["drawn"]

    def remember(self, sid: str, version: int, routes: dict[str, int]) -> dict[str, int] | None:
        """Keep the routes a tab was just sent (town -> a key of its route and chokepoints) under the
        answer's ``version``; returns those sent before, with their version, so that an answer to a
        tab that has them (it says which version it holds) leaves unchanged routes out."""
        with self._lock:
            state = self.sessions.get(sid)
            if state is None:
                return None
            before = state.get("sent")
            state["sent"] = (version, routes)
            return before

    def new_session(self, token: str | None) -> str:
        """A new session for the holder of the server's token (the least recently used is dropped
        when :data:`MAX_SESSIONS` are open)."""
        if not isinstance(token, str) or not secrets.compare_digest(token.encode(), self.token.encode()):
            raise PermissionError("open the address siege serve printed when it started (it carries a token)")
        sid = secrets.token_urlsafe(16)
        with self._lock:
            while len(self.sessions) >= MAX_SESSIONS:
                self.sessions.popitem(last=False)
            self.sessions[sid] = {"edits": [], "date": None, "token": secrets.token_urlsafe(24)}
        return sid

    def use(self, sid: str | None, token: str | None = None, *, check_token: bool = True) -> bool:
        """Whether ``sid`` is an open session (and ``token`` its page's token); marks it used."""
        with self._lock:
            state = self.sessions.get(sid) if isinstance(sid, str) else None
            if state is None:
                return False
            if check_token and (
                not isinstance(token, str) or not secrets.compare_digest(token.encode(), state["token"].encode())
            ):
                return False
            self.sessions.move_to_end(sid)
            return True

    def state(self, sid: str) -> dict[str, Any]:
        """A copy of one session's edits and date, safe to read while requests change it."""
        with self._lock:
            state = self.sessions[sid]
            return {"edits": list(state["edits"]), "date": state["date"], "token": state["token"]}

    def raw_of(self, sid: str, edits: list[dict] | None = None, date: str | bool | None = False) -> dict:
        """The scenario table with this session's edits and date (or those given)."""
        state = self.state(sid)
        raw = copy.deepcopy(self.raw)
        raw["events"] = [*raw.get("events", []), *(state["edits"] if edits is None else edits)]
        date = state["date"] if date is False else date
        if date:
            raw["date"] = date
        return raw

    def scenario(self, sid: str, edits: list[dict] | None = None) -> Scenario:
        """The loaded scenario with this tab's edits, checked as a scenario file is."""
        return scenario_from_dict(
            self.raw_of(sid, edits), where=f"{self.path.name} with your edits", base=self.path.parent, network=self.G
        )

    def baseline(self) -> Scenario:
        """The loaded scenario without any event."""
        raw = copy.deepcopy(self.raw)
        raw["events"] = []
        return scenario_from_dict(raw, where=f"{self.path.name} (baseline)", base=self.path.parent, network=self.G)

    def add(self, sid: str, request: Any) -> dict:
        """Check one edit (kind and fields from the request) and keep it if the scenario accepts it."""
        edit = make_edit(request)
        edits = [*self.state(sid)["edits"], edit]
        if len(edits) > MAX_EDITS:
            raise SiegeInputError("edit", f"at most {MAX_EDITS} edits in one session")
        if len(json.dumps(edits, default=str)) > MAX_SESSION_BYTES:
            raise SiegeInputError("edit", f"the session's edits would pass {MAX_SESSION_BYTES:,} bytes")
        self.scenario(sid, edits)  # raises a one-line SiegeInputError if anything is wrong
        with self._lock:
            if sid in self.sessions:
                self.sessions[sid]["edits"] = edits
        return edit

    def undo(self, sid: str) -> None:
        with self._lock:
            if self.sessions[sid]["edits"]:
                self.sessions[sid]["edits"] = self.sessions[sid]["edits"][:-1]

    def set_date(self, sid: str, value: Any) -> None:
        day = parse_date(value, "date") if value else None
        date = day.isoformat() if isinstance(day, dt.date) else None
        scenario_from_dict(
            self.raw_of(sid, date=date),
            where=f"{self.path.name} with your edits",
            base=self.path.parent,
            network=self.G,
        )
        with self._lock:
            if sid in self.sessions:
                self.sessions[sid]["date"] = date

    def save(self, sid: str, name: Any) -> Path:
        """Write the scenario with this tab's edits as ``FOLDER/NAME.toml`` (never elsewhere)."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise SiegeInputError("name", "expected a plain file name: letters, digits, - and _ (at most 60)")
        target = (self.folder / f"{name}.toml").resolve()
        if target.parent != self.folder.resolve():
            raise SiegeInputError("name", "the file must be in the chosen folder")
        exists = SiegeInputError("name", f"{target.name} exists already in the folder (choose another name)")
        if target.exists():
            raise exists
        text = scenario_toml_text(self.raw_of(sid), self.path.parent)
        scenario_from_dict(tomllib.loads(text), where=target.name, base=self.folder, network=self.G)
        try:
            write_text_exclusive(target, text)  # created whole, and never over a file made meanwhile
        except FileExistsError:
            raise exists from None
        return target


def make_edit(request: Any) -> dict:
    """An event table from a request ``{kind, fields}``: only the fields an edit may set."""
    if not isinstance(request, dict) or request.get("kind") not in EDIT_FIELDS:
        raise SiegeInputError("edit.kind", f"expected one of {', '.join(EDIT_FIELDS)}")
    kind = request["kind"]
    fields = request.get("fields", {})
    if not isinstance(fields, dict):
        raise SiegeInputError("edit.fields", "expected a table of fields")
    unknown = sorted(str(k) for k in fields if k not in EDIT_FIELDS[kind])
    if unknown:
        raise SiegeInputError(f"edit.fields.{unknown[0][:40]}", f"not a field of a {kind} edit")
    edit = {"kind": kind, **{k: v for k, v in fields.items() if v not in (None, "", [])}, "note": NOTE}
    if kind == "cut":
        edit.setdefault("max_distance_km", 5)
    return edit


def create_app(workbench: Workbench, *, hosts: set[str] | None = None):
    """The Starlette application of a workbench, behind :class:`siege.serve_guard.Guard`
    (``hosts``: the Host names it answers to; loopback names by default)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    from siege.analyses.admin2 import admin2_summary
    from siege.analyses.isolation import run
    from siege.outputs.map import (
        cercle_layer,
        json_for_script,
        map_html,
        map_state,
        road_features,
        summary_of_hidden,
        touched_groups,
    )
    from siege.serve_guard import LOOPBACK_NAMES, Guard, Refused, read_json
    from siege.supply import SimulationMemo, simulate

    memo = SimulationMemo()
    answers = itertools.count()
    # one thread solves and renders (the memo is shared by requests); cheap checks use another, so
    # neither ever holds the event loop
    render_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siege-render")
    check_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siege-check")

    async def off_loop(pool: ThreadPoolExecutor, func, *args):
        return await asyncio.get_running_loop().run_in_executor(pool, func, *args)

    def solve(sid: str, against: str | None) -> dict[str, Any]:
        """The tab's scenario run as ``siege run`` runs it, with what its page shows."""
        state = workbench.state(sid)
        scenario = workbench.scenario(sid)
        result = run(scenario, with_chokepoints=True, memo=memo)  # the evaluation day shares the slider's days
        compare = None
        if against == "baseline":
            compare = run(workbench.baseline(), with_chokepoints=False, memo=memo)
        elif against == "loaded":
            compare = run(workbench.loaded, with_chokepoints=False, memo=memo)
        info = {
            "session": sid,
            "token": state["token"],
            "edits": [{"kind": e["kind"], "text": _describe(e)} for e in state["edits"]],
            "date": state["date"] or (str(scenario.date) if scenario.date else ""),
            "towns": [t.name for t in scenario.on_network],
            "commodities": [c.name for c in scenario.commodities],
            "compare": against or "",
            "folder": str(workbench.folder),
            # the results table: the towns hit first, then how many are open
            "results": [
                {"town": t.town, "status": t.status, "served": round(t.served_fraction, 3), "was": t.baseline_status}
                for t in sorted(result.towns, key=lambda t: (t.status == "open", t.served_fraction, t.town))
            ],
        }
        # a scenario with a period: the slider steps through its days, as in siege run; lanes and solved
        # days are shared between requests (keys hold the events themselves: an edit reuses only what
        # it leaves identical)
        timeline = None
        if compare is None and scenario.start is not None and scenario.end is not None:
            timeline = simulate(scenario, memo=memo)
        cercles = admin2_summary(result, timeline) if compare is None else None  # the cercle layer, as in run
        drawn = workbench.drawn(sid, result)
        added = drawn.extend(touched_groups(result, drawn))  # a road an edit touches is drawn from now on
        return {"result": result, "compare": compare, "timeline": timeline, "cercles": cercles, "info": info,
                "drawn": drawn, "added": added}  # fmt: skip

    def route_keys(result) -> dict[str, int]:
        return {
            t.town: hash((tuple(t.route_edges), tuple(t.chokepoint_edges), tuple(t.chokepoints))) for t in result.towns
        }

    def page(sid: str, against: str | None) -> str:
        r = solve(sid, against)
        r["info"]["version"] = version = next(answers)
        workbench.remember(sid, version, route_keys(r["result"]))
        return map_html(
            r["result"], compare=r["compare"], timeline=r["timeline"], workbench=r["info"], cercles=r["cercles"],
            drawn=r["drawn"],
        )  # fmt: skip

    def changes(sid: str, against: str | None, known: int | None) -> dict[str, Any]:
        """What an edit changed, for the page to lay over itself (never the page again). ``known``: the
        answer the tab holds; routes it has already are left out (``same_route``)."""
        r = solve(sid, against)
        result, drawn = r["result"], r["drawn"]
        state = map_state(result, drawn, compare=r["compare"], timeline=r["timeline"])
        version = next(answers)  # answers are made in order (one render thread): newest last
        keys = route_keys(result)
        before = workbench.remember(sid, version, keys)
        if before is not None and known is not None and before[0] == known:
            for town in state["towns"]:
                if before[1].get(town["name"]) == keys[town["name"]]:
                    town.update(route=None, chokepoint_lines=None, same_route=True)
        if r["added"]:
            features = road_features(result, drawn, r["added"], light=drawn.light)
            state["new_roads"] = [{"index": i, "feature": f} for i, f in zip(r["added"], features, strict=True)]
            state["hidden_roads"] = summary_of_hidden(result, drawn.groups)
        if r["cercles"] is not None:
            state["cercles"] = [f["properties"] for f in cercle_layer(r["cercles"])["features"]]
        state["workbench"] = r["info"]
        state["version"] = version
        return state

    # the page holds its session's token and no other page may read it: never cached, never framed,
    # never sent on as a referrer
    page_headers = {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }

    async def index(request: Request):
        sid = request.query_params.get("s")
        if not workbench.use(sid, check_token=False):
            try:
                sid = workbench.new_session(request.query_params.get("token"))
            except PermissionError as err:
                return PlainTextResponse(f"siege serve: {err}\n", status_code=403, headers=page_headers)
            return RedirectResponse(f"/?s={sid}", status_code=303, headers=page_headers)
        against = request.query_params.get("compare")
        html = await off_loop(render_pool, page, sid, against if against in ("baseline", "loaded") else None)
        return HTMLResponse(html, headers=page_headers)

    async def action(request: Request):
        sid = request.query_params.get("s")
        if not workbench.use(sid, request.headers.get("x-siege-token")):
            return JSONResponse({"error": "unknown session or token: reload the page"}, status_code=403)
        try:
            body = await read_json(request)
        except Refused as refusal:
            return JSONResponse({"error": str(refusal)}, status_code=refusal.status)
        name = request.path_params["name"]
        against = request.query_params.get("compare")
        against = against if against in ("baseline", "loaded") else None
        try:
            if name == "edit":
                await off_loop(check_pool, workbench.add, sid, body)
            elif name == "undo":
                workbench.undo(sid)
            elif name == "date":
                await off_loop(
                    check_pool, workbench.set_date, sid, body.get("date") if isinstance(body, dict) else None
                )
            elif name == "save":
                name = body.get("name") if isinstance(body, dict) else None
                path = await off_loop(check_pool, workbench.save, sid, name)
                return JSONResponse({"saved": str(path)})
            else:
                return JSONResponse({"error": f"no action {name[:40]!r}"}, status_code=404)
            # the answer is what changed (states, rows, steps), laid over the page in place
            known = request.headers.get("x-siege-known", "")
            state = await off_loop(render_pool, changes, sid, against, int(known) if known.isdigit() else None)
        except SiegeInputError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        except KeyError:  # the session was dropped meanwhile
            return JSONResponse({"error": "unknown session or token: reload the page"}, status_code=403)
        return Response(json_for_script({"ok": True, "state": state}), media_type="application/json")

    return Starlette(
        routes=[Route("/", index), Route("/api/{name}", action, methods=["POST"])],
        middleware=[Middleware(Guard, hosts=hosts or set(LOOPBACK_NAMES))],
    )


def _describe(edit: dict) -> str:
    kind = edit["kind"]
    effect = edit.get("effect", "close")
    when = " ".join(f"{k} {edit[k]}" for k in ("start", "end", "date") if k in edit)
    mode = edit.get("mode", "road")
    where = (
        f"{edit.get('ref', mode if mode != 'road' else 'road')} near {edit['lat']:.3f}, {edit['lon']:.3f}"
        if "lat" in edit
        else (f"airport of {edit['place']}" if mode == "air" and "place" in edit else edit.get("place"))
        or f"{edit.get('from', '?')} → {edit.get('to', '?')}{' by ' + mode if mode != 'road' else ''}"
    )
    return f"{kind}: {where} ({effect}{'; ' + when if when else ''})"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (``0``: any free port), or a one-line error when the
    port is taken or the address is not this machine's — checked before the network is loaded."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as err:
        raise SiegeInputError("--host", f"{host!r} is not an address of this machine ({err.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        what = "is in use (choose another with --port)" if err.errno == 98 else f"cannot be opened ({err.strerror})"
        raise SiegeInputError("--port", f"{host}:{port} {what}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    scenario: str | Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    folder: str | Path = ".",
    allow_hosts: tuple[str, ...] = (),
) -> None:
    """Run the workbench until interrupted; prints its address, with the token, on stderr."""
    import uvicorn

    from siege.serve_guard import allowed_hosts, is_loopback

    sock = bind(host, port)
    try:
        workbench = Workbench(scenario, folder)
        app = create_app(workbench, hosts=allowed_hosts(host, allow_hosts))
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host)
        if not is_loopback(host):
            print(
                f"siege serve: warning: listening on {host}, not only this machine: anyone who reaches port "
                f"{bound} and holds the token can edit and save scenarios into {workbench.folder} (plain HTTP, "
                "no encryption)",
                file=sys.stderr,
            )
        print(f"siege serve: http://{shown}:{bound}/?token={workbench.token} (Ctrl-C to stop)", file=sys.stderr)
        sys.stderr.flush()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        server.run(sockets=[sock])
    finally:
        sock.close()
