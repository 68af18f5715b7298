"""``siege serve``: a local what-if workbench on the map (Starlette, served by uvicorn).

Each browser tab has its own session (``?s=`` in the address): a list of edits laid over the loaded
scenario — a road closed or degraded where the planner clicked, a town blockaded, a convoy, an
escort — and the evaluation date. Every change rebuilds the scenario from its file plus the edits
through :func:`siege.scenario.scenario_from_dict`, so a request passes exactly the checks a
scenario file passes, runs it and sends the page again (the same map renderer as ``siege run``).
Edits are events with a note saying where they came from; *save* writes the whole scenario as TOML
into the chosen folder (a plain name, never a path), which ``siege validate`` accepts. Text from
requests is data: it reaches the page only as JSON read by the map's script, never as markup.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any

from siege.errors import SiegeInputError
from siege.io import write_text_atomic
from siege.scenario import Scenario, scenario_from_dict
from siege.scenario.dates import parse_date
from siege.scenario.model import read_toml

#: what an edit may set, per kind (anything else in a request is refused)
EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "cut": ("lat", "lon", "ref", "effect", "commodities", "start", "end", "name"),
    "attack": ("lat", "lon", "ref", "radius_km", "effect", "commodities", "start", "end", "name"),
    "town_blockade": ("place", "effect", "commodities", "start", "end", "name"),
    "convoy": ("from", "to", "trucks", "commodity", "escorted", "date", "name"),
    "escort": ("ref", "from", "to", "capacity_trucks_per_day", "start", "end", "name"),
}
NOTE = "added in siege serve"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")
_MAX_SESSIONS = 200
_MAX_EDITS = 200


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
        self.sessions: dict[str, dict[str, Any]] = {}

    def session(self, sid: str | None) -> str:
        """A known session id, or a new one."""
        if sid and sid in self.sessions:
            return sid
        if len(self.sessions) >= _MAX_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        sid = secrets.token_urlsafe(12)
        self.sessions[sid] = {"edits": [], "date": None}
        return sid

    def raw_of(self, sid: str, edits: list[dict] | None = None) -> dict:
        state = self.sessions[sid]
        raw = copy.deepcopy(self.raw)
        raw["events"] = [*raw.get("events", []), *(state["edits"] if edits is None else edits)]
        if state["date"]:
            raw["date"] = state["date"]
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
        edits = [*self.sessions[sid]["edits"], edit]
        if len(edits) > _MAX_EDITS:
            raise SiegeInputError("edit", f"at most {_MAX_EDITS} edits in one session")
        self.scenario(sid, edits)  # raises a one-line SiegeInputError if anything is wrong
        self.sessions[sid]["edits"] = edits
        return edit

    def undo(self, sid: str) -> None:
        if self.sessions[sid]["edits"]:
            self.sessions[sid]["edits"].pop()

    def set_date(self, sid: str, value: Any) -> None:
        day = parse_date(value, "date") if value else None
        old = self.sessions[sid]["date"]
        self.sessions[sid]["date"] = day.isoformat() if isinstance(day, dt.date) else None
        try:
            self.scenario(sid)
        except SiegeInputError:
            self.sessions[sid]["date"] = old
            raise

    def save(self, sid: str, name: Any) -> Path:
        """Write the scenario with this tab's edits as ``FOLDER/NAME.toml`` (never elsewhere)."""
        import tomli_w

        if not isinstance(name, str) or not _NAME.match(name):
            raise SiegeInputError("name", "expected a plain file name: letters, digits, - and _ (at most 60)")
        target = (self.folder / f"{name}.toml").resolve()
        if target.parent != self.folder.resolve():
            raise SiegeInputError("name", "the file must be in the chosen folder")
        if target.exists():
            raise SiegeInputError("name", f"{target.name} exists already in the folder (choose another name)")
        raw = self.raw_of(sid)
        if "network" in raw and not Path(str(raw["network"])).is_absolute() and raw["network"] != "mali":
            raw["network"] = str((self.path.parent / str(raw["network"])).resolve())
        text = tomli_w.dumps(_toml_ready(raw))
        scenario_from_dict(tomllib.loads(text), where=target.name, base=self.folder, network=self.G)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, text)
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


def _toml_ready(value: Any) -> Any:
    """TOML has no null: drop empty values; dates stay dates."""
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_ready(v) for v in value if v is not None]
    return value


def create_app(workbench: Workbench):
    """The Starlette application of a workbench."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
    from starlette.routing import Route

    from siege.analyses.isolation import run
    from siege.analyses.timeline import SimulationMemo, simulate
    from siege.outputs.map import map_html

    memo = SimulationMemo()

    def page(sid: str, *, against: str | None = None) -> HTMLResponse:
        scenario = workbench.scenario(sid)
        result = run(scenario, with_chokepoints=True)
        compare = None
        if against == "baseline":
            compare = run(workbench.baseline(), with_chokepoints=False)
        elif against == "loaded":
            compare = run(workbench.loaded, with_chokepoints=False)
        state = workbench.sessions[sid]
        info = {
            "session": sid,
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
        return HTMLResponse(map_html(result, compare=compare, timeline=timeline, workbench=info))

    async def index(request: Request):
        sid = request.query_params.get("s")
        if sid not in workbench.sessions:
            return RedirectResponse(f"/?s={workbench.session(None)}", status_code=303)
        against = request.query_params.get("compare")
        return page(sid, against=against if against in ("baseline", "loaded") else None)

    async def action(request: Request):
        sid = request.query_params.get("s")
        if sid not in workbench.sessions:
            return JSONResponse({"error": "unknown session: reload the page"}, status_code=400)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected a JSON body"}, status_code=400)
        name = request.path_params["name"]
        try:
            if name == "edit":
                workbench.add(sid, body)
            elif name == "undo":
                workbench.undo(sid)
            elif name == "date":
                workbench.set_date(sid, body.get("date") if isinstance(body, dict) else None)
            elif name == "save":
                path = workbench.save(sid, body.get("name") if isinstance(body, dict) else None)
                return JSONResponse({"saved": str(path)})
            else:
                return JSONResponse({"error": f"no action {name[:40]!r}"}, status_code=404)
        except SiegeInputError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/", index), Route("/api/{name}", action, methods=["POST"])])


def _describe(edit: dict) -> str:
    kind = edit["kind"]
    effect = edit.get("effect", "close")
    when = " ".join(f"{k} {edit[k]}" for k in ("start", "end", "date") if k in edit)
    where = (
        f"{edit.get('ref', 'road')} near {edit['lat']:.3f}, {edit['lon']:.3f}"
        if "lat" in edit
        else edit.get("place") or f"{edit.get('from', '?')} → {edit.get('to', '?')}"
    )
    return f"{kind}: {where} ({effect}{'; ' + when if when else ''})"


def serve(scenario: str | Path | None, *, host: str = "127.0.0.1", port: int = 8000, folder: str | Path = ".") -> None:
    """Run the workbench until interrupted."""
    import uvicorn

    app = create_app(Workbench(scenario, folder))
    uvicorn.run(app, host=host, port=port, log_level="warning")
