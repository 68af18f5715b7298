"""Prepared-graph cache: a network loaded once from an OSM file loads again in seconds.

The finished graph (after filtering, simplification and the siege schema) is stored under
``SIEGE_CACHE_DIR`` (default: the user cache folder platformdirs gives, e.g. ``~/.cache/siege/networks``
on Linux, ``%LOCALAPPDATA%\\siege\\Cache\\networks`` on Windows; ``off`` disables the cache), one entry per
file path and loading options. Each entry records what it was built from — the SHA-256 of the
network file's content, the options and siege's cache format — and a load checks all three against
the file as it is now: an edited file (even one whose size and modification time were kept), a
cache file copied in from another network, or other options give a rebuild, never a wrong graph.
The format holds data only — attributes column by column (numbers and booleans as NumPy arrays,
other values as codes into their distinct JSON texts), line geometries as one coordinate array with
offsets, all read without pickle — so a cache file can never run code; a damaged, unreadable or
mismatched one is ignored and rebuilt, with one line on stderr saying so.

The folder is capped (``SIEGE_CACHE_MAX_MB``, default :data:`siege.settings.CACHE_MAX_MB`): after a save, the
entries used longest ago are removed until the rest fit (a load marks its entry as used).

The content hash reads the whole file once per load (SHA-256 through OpenSSL, about 1 GB/s here;
see the README for its cost on the national benchmark extract).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely

from siege import settings
from siege.collector import collector_paused
from siege.io import atomic_path

#: bump when the stored graph's schema changes: older cache files are then ignored
FORMAT = 3


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``SIEGE_CACHE_DIR=off``."""
    value = os.environ.get("SIEGE_CACHE_DIR", "")
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    import platformdirs

    return platformdirs.user_cache_path("siege", appauthor=False) / "networks"


def cache_limit_bytes() -> int:
    """The cache folder's size cap in bytes (``SIEGE_CACHE_MAX_MB``, else the settings' default)."""
    value = os.environ.get("SIEGE_CACHE_MAX_MB", "")
    try:
        mb = float(value) if value else settings.CACHE_MAX_MB
    except ValueError:
        mb = settings.CACHE_MAX_MB
    return int(max(mb, 0.0) * 1024 * 1024)


def prune(folder: Path, *, keep: Path | None = None) -> list[Path]:
    """Remove the entries used longest ago until the folder fits its cap (``keep``, the entry just
    written, stays even when it alone is larger). Returns what was removed."""
    entries = []
    for f in folder.glob("*.siege-graph.zip"):
        try:
            st = f.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, f))
    total, limit, removed = sum(e[1] for e in entries), cache_limit_bytes(), []
    for _, size, f in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        if keep is not None and f == keep:
            continue
        try:
            f.unlink()
        except OSError:
            continue
        total -= size
        removed.append(f)
    return removed


def cache_key(path: Path, options: dict[str, Any]) -> str:
    """The entry name for ``path`` loaded with ``options`` (what it holds is checked on load)."""
    text = json.dumps([FORMAT, str(path.resolve()), options], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def built_from(path: Path, options: dict[str, Any]) -> dict[str, Any]:
    """What an entry for ``path`` and ``options`` must record: the file's content hash, the options and
    the cache format."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return {"sha256": digest.hexdigest(), "options": json.loads(json.dumps(options, default=str)), "format": FORMAT}


def load(key: str, source: dict[str, Any] | None = None, *, where: str = "network") -> nx.MultiDiGraph | None:
    """The cached graph for ``key``, or ``None``: absent, damaged, another format, or not built from
    ``source`` (from :func:`built_from`). A damaged or mismatched entry is named in one line on stderr."""
    folder = cache_dir()
    if folder is None:
        return None
    file = folder / f"{key}.siege-graph.zip"
    if not file.is_file():
        return None
    try:
        with collector_paused(), zipfile.ZipFile(file) as z:
            meta = json.loads(z.read("meta.json"))
            if meta.get("format") != FORMAT:
                _say(where, file, "has another format")
                return None
            if source is not None and meta.get("built_from") != source:
                _say(where, file, "was built from other data, options or siege version")
                return None
            G = _graph(meta, _Arrays(z))
        with contextlib.suppress(OSError):
            os.utime(file)  # used now: the cap removes entries used longest ago first
        return G
    except Exception as err:  # zipfile, zlib, numpy and shapely raise many kinds on a damaged file
        _say(where, file, f"is damaged ({type(err).__name__})")
        return None


def _say(where: str, file: Path, what: str) -> None:
    print(f"siege: note: the cached network for {where} ({file.name}) {what}; rebuilding it", file=sys.stderr)


class _Arrays:
    """The entry's NumPy arrays, one ``.npy`` member each, read without pickle."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z

    def __getitem__(self, name: str) -> np.ndarray:
        with self.z.open(f"{name}.npy") as f:
            return np.lib.format.read_array(f, allow_pickle=False)


def _graph(meta: dict, arrays: _Arrays) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(**meta["graph"])
    ids = arrays["node_id"].tolist()
    node_attrs = _rows(len(ids), meta["node_columns"], arrays, "n")
    u, v, k = arrays["u"].tolist(), arrays["v"].tolist(), arrays["k"].tolist()
    edge_attrs = _rows(len(u), meta["edge_columns"], arrays, "e")
    if meta["geometry"] == "linestrings":
        geoms = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, arrays["coords"], (arrays["line_offsets"],)
        ).tolist()
    else:
        wkb, ends = arrays["wkb"], arrays["wkb_end"].tolist()
        starts = [0, *ends[:-1]]
        geoms = shapely.from_wkb(
            np.array([wkb[a:b].tobytes() for a, b in zip(starts, ends, strict=True)], dtype=object)
        ).tolist()
    # The adjacency is filled in directly (networkx's own dict-of-dicts layout, in the order the saved
    # graph iterated its edges): add_edge's checks and views cost more than the whole rest of a load.
    node, succ, pred = G._node, G._succ, G._pred
    for n, attrs in zip(ids, node_attrs, strict=True):
        node[n] = attrs
        succ[n] = {}
        pred[n] = {}
    for a, b, c, attrs, g in zip(u, v, k, edge_attrs, geoms, strict=True):
        attrs["geometry"] = g
        keys = succ[a].get(b)
        if keys is None:
            keys = succ[a][b] = {}
        keys[c] = attrs
    # each node's predecessors in the saved graph's order, so a cached graph iterates as the built one did
    for i in arrays["pred_order"].tolist():
        a, b = u[i], v[i]
        pred[b][a] = succ[a][b]
    if sum(map(len, pred.values())) != sum(map(len, succ.values())):
        raise ValueError("the predecessors stored do not match the edges")
    return G


#: stands for "this row has no such attribute" while rows are assembled
_ABSENT = object()

#: the types JSON gives back as they are: immutable, so rows may share them
_PLAIN = {str, int, float, bool, type(None)}
_ABSENT_TYPE = type(_ABSENT)
_PLAIN_OR_ABSENT = _PLAIN | {_ABSENT_TYPE}

#: a column of numbers with at most this share of distinct values is stored as codes, so rows share
#: one number object (a road class's speed and capacity) instead of holding one each
_SHARED_NUMBERS = 0.25


def _copier(value: Any):
    """``None`` for a value every row may share (immutable), else how a row makes its own copy."""
    if value is _ABSENT or type(value) in _PLAIN:
        return None
    if type(value) is list and all(type(x) in _PLAIN for x in value):
        return lambda _text, shared: list(shared)  # a ref list: its own list, the names shared
    return lambda text, _shared: json.loads(text)


def _rows(count: int, columns: list[dict], arrays: _Arrays, prefix: str) -> list[dict]:
    """One attribute dict per row from the stored columns (see :func:`_columns`)."""
    names, values, gaps = [], [], []
    for i, column in enumerate(columns):
        name, kind = column["name"], column["kind"]
        if kind == "json":
            codes = arrays[f"{prefix}{i}"].tolist()
            texts = column["values"]
            shared = [*(json.loads(t) for t in texts), _ABSENT]
            # immutable values: one object serves every row that holds it; lists and dicts: each row its
            # own copy, so editing one edge's never edits another's
            copy = [_copier(value) for value in shared]
            col = [shared[c] if copy[c] is None else copy[c](texts[c], shared[c]) for c in codes]
        else:
            col = arrays[f"{prefix}{i}"].tolist()
            if "absent" in column:
                for r in arrays[f"{prefix}{i}_absent"].tolist():
                    col[r] = _ABSENT
        if len(col) != count:
            raise ValueError(f"column {name!r} has {len(col)} rows, not {count}")
        names.append(name)
        values.append(col)
        if "absent" in column:
            gaps.append((name, col))
    rows = (
        [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
        if names
        else [{} for _ in range(count)]
    )
    for name, col in gaps:
        for r, value in enumerate(col):
            if value is _ABSENT:
                del rows[r][name]
    return rows


def _columns(dicts: list[dict], prefix: str, out: dict[str, np.ndarray], *, skip: str = "") -> list[dict]:
    """Store the rows' attributes column by column in ``out``: booleans and numbers of many values as arrays, anything
    else as codes into its distinct JSON texts (a road class or a ref is stored once, not per edge)."""
    names = dict.fromkeys(itertools.chain.from_iterable(dicts))  # every attribute, in order of first appearance
    names.pop(skip, None)
    columns = []
    for i, name in enumerate(names):
        col = [d.get(name, _ABSENT) for d in dicts]
        types = set(map(type, col))  # one pass in C: most columns hold one plain type
        if not types <= _PLAIN_OR_ABSENT:
            col = [v if type(v) in _PLAIN or v is _ABSENT else _plain(v) for v in col]
            types = set(map(type, col))
        has_absent = _ABSENT_TYPE in types
        types.discard(_ABSENT_TYPE)
        absent = [r for r, value in enumerate(col) if value is _ABSENT] if has_absent else []
        column: dict[str, Any] = {"name": name}
        for kind, python, dtype, fill in (
            ("float", float, np.float64, 0.0),
            ("int", int, np.int64, 0),
            ("bool", bool, np.bool_, False),
        ):
            if types == {python}:
                present = [value for value in col if value is not _ABSENT] if has_absent else col
                if kind != "bool" and len(set(present)) <= _SHARED_NUMBERS * len(present):
                    break  # few distinct numbers: codes below
                try:
                    values = [fill if value is _ABSENT else value for value in col] if has_absent else col
                    out[f"{prefix}{i}"] = np.array(values, dtype=dtype)
                except OverflowError:  # an int beyond int64: stored as JSON below
                    continue
                column["kind"] = kind
                break
        if "kind" not in column:
            codes, texts = _json_codes(col)
            out[f"{prefix}{i}"] = np.array(codes, dtype=np.int32)
            column.update(kind="json", values=texts)
        if absent:
            column["absent"] = True
            if column["kind"] != "json":  # a JSON column's absent rows are its code -1
                out[f"{prefix}{i}_absent"] = np.array(absent, dtype=np.int64)
        columns.append(column)
    return columns


def save(key: str, G: nx.MultiDiGraph, source: dict[str, Any] | None = None) -> None:
    """Store ``G`` under ``key``, recording ``source`` (from :func:`built_from`); best effort: a cache
    that cannot be written is skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        with collector_paused():
            _save(folder, key, G, source)
    except (OSError, TypeError, ValueError):
        return


def _save(folder: Path, key: str, G: nx.MultiDiGraph, source: dict[str, Any] | None) -> None:
    """Write the entry (see :func:`save`): arrays and JSON members of one zip, written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"node_id": np.array(list(G.nodes), dtype=np.int64)}
    node_columns = _columns([d for _, d in G.nodes(data=True)], "n", arrays)
    # networkx's own layout read directly: its edge view counts every edge first for list()'s sake
    edges = [(u, v, k, d) for u, nbrs in G._succ.items() for v, keyed in nbrs.items() for k, d in keyed.items()]
    arrays["u"] = np.array([e[0] for e in edges], dtype=np.int64)
    arrays["v"] = np.array([e[1] for e in edges], dtype=np.int64)
    arrays["k"] = np.array([e[2] for e in edges], dtype=np.int64)
    first = {}
    for i, (a, b, *_) in enumerate(edges):
        first.setdefault((a, b), i)
    arrays["pred_order"] = np.array([first[a, b] for b in G for a in G.pred[b]], dtype=np.int64)
    edge_columns = _columns([d for *_, d in edges], "e", arrays, skip="geometry")
    geoms = np.array([d["geometry"] for *_, d in edges], dtype=object)
    if len(geoms) and (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING).all():
        _, coords, (offsets,) = shapely.to_ragged_array(geoms)
        arrays["coords"], arrays["line_offsets"], geometry = coords, offsets, "linestrings"
    else:
        wkb = [shapely.to_wkb(g) for g in geoms]
        arrays["wkb"] = np.frombuffer(b"".join(wkb), dtype=np.uint8)
        arrays["wkb_end"] = np.cumsum([len(b) for b in wkb], dtype=np.int64)
        geometry = "wkb"
    meta = {
        "format": FORMAT,
        "graph": {a: _plain(b) for a, b in G.graph.items()},
        "built_from": source,
        "node_columns": node_columns,
        "edge_columns": edge_columns,
        "geometry": geometry,
    }
    entry = folder / f"{key}.siege-graph.zip"
    with atomic_path(entry) as tmp, zipfile.ZipFile(tmp, "w") as z:
        z.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
        for name, array in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
    prune(folder, keep=entry)


def _json_codes(col: list) -> tuple[list[int], list[str]]:
    """Each row's code into the column's distinct JSON texts (-1: absent), and those texts; a value
    met before takes its code without being written as JSON again."""
    kinds = {type(value) for value in col} - {type(_ABSENT)}
    if kinds <= {str}:  # a road class, a name: keyed by itself
        return _codes_by(col, None)
    if kinds == {float} and 0.0 not in col:  # one type and no -0.0/0.0 to tell apart: keyed by itself
        return _codes_by(col, None)
    if kinds == {list} and all(type(x) is str for value in col if value is not _ABSENT for x in value):
        return _codes_by(col, tuple)  # refs: lists of strings, keyed by their tuple
    return _codes_by(col, _hashable)


def _codes_by(col: list, key: Callable[[Any], Any] | None) -> tuple[list[int], list[str]]:
    """:func:`_json_codes` with values told apart by ``key`` (``None``: by themselves; a key of
    ``None``: a value not keyed, written as JSON and matched by its text)."""
    texts: dict[str, int] = {}
    seen: dict[Any, int] = {}
    codes = []
    for value in col:
        if value is _ABSENT:
            codes.append(-1)
            continue
        k = value if key is None else key(value)
        found = seen.get(k) if k is not None else None
        if found is None:
            found = texts.setdefault(json.dumps(value, ensure_ascii=False), len(texts))
            if k is not None:
                seen[k] = found
        codes.append(found)
    return codes, list(texts)


def _hashable(value: Any) -> tuple | None:
    """A key telling equal JSON values apart by type too (1, 1.0 and True are equal in Python), or
    ``None`` for a value too nested to key cheaply."""
    if type(value) in _PLAIN:
        return _scalar_key(value)
    if type(value) is list and all(type(v) in _PLAIN for v in value):
        return (list, *(_scalar_key(v) for v in value))
    return None


def _scalar_key(value: Any) -> tuple:
    # a float by its text: -0.0 and 0.0 are equal in Python, not in JSON
    return (float, repr(value)) if type(value) is float else (type(value), value)


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, tuples and sets as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) is list and all(type(v) in _PLAIN for v in value):  # already plain: read, not copied
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
