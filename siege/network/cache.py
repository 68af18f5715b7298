"""Prepared-graph cache: a network loaded once from an OSM file loads again in seconds.

The finished graph (after filtering, simplification and the siege schema) is stored under
``SIEGE_CACHE_DIR`` (default: the user cache folder platformdirs gives, e.g. ``~/.cache/siege/networks``
on Linux, ``%LOCALAPPDATA%\\siege\\Cache\\networks`` on Windows; ``off`` disables the cache), one entry per
file path and loading options. Each entry records what it was built from — the SHA-256 of the
network file's content, the options and siege's cache format — and a load checks all three against
the file as it is now: an edited file (even one whose size and modification time were kept), a
cache file copied in from another network, or other options give a rebuild, never a wrong graph.
The format holds data only — JSON for attributes, well-known binary for geometries, numbers in a
NumPy archive read without pickle — so a cache file can never run code; a damaged, unreadable or
mismatched one is ignored and rebuilt, with one line on stderr saying so.

The folder is capped (``SIEGE_CACHE_MAX_MB``, default :data:`siege.settings.CACHE_MAX_MB`): after a save, the
entries used longest ago are removed until the rest fit (a load marks its entry as used).

The content hash reads the whole file once per load (SHA-256 through OpenSSL, about 1 GB/s here;
see the README for its cost on the national benchmark extract).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely

from siege import settings
from siege.io import atomic_path

#: bump when the stored graph's schema changes: older cache files are then ignored
FORMAT = 2


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
        with zipfile.ZipFile(file) as z:
            meta = json.loads(z.read("meta.json"))
            if source is not None and meta.get("built_from") != source:
                _say(where, file, "was built from other data, options or siege version")
                return None
            arrays = np.load(io.BytesIO(z.read("arrays.npz")), allow_pickle=False)
            nodes = json.loads(z.read("nodes.json"))
            edges = json.loads(z.read("edges.json"))
        G = _graph(meta, arrays, nodes, edges)
        with contextlib.suppress(OSError):
            os.utime(file)  # used now: the cap removes entries used longest ago first
        return G
    except Exception as err:  # zipfile, zlib, numpy and shapely raise many kinds on a damaged file
        _say(where, file, f"is damaged ({type(err).__name__})")
        return None


def _say(where: str, file: Path, what: str) -> None:
    print(f"siege: note: the cached network for {where} ({file.name}) {what}; rebuilding it", file=sys.stderr)


def _graph(meta: dict, arrays, nodes: list, edges: list) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(**meta["graph"])
    ids, x, y = arrays["node_id"], arrays["x"], arrays["y"]
    G.add_nodes_from(
        (n, {"x": xi, "y": yi, **attrs})
        for n, xi, yi, attrs in zip(ids.tolist(), x.tolist(), y.tolist(), nodes, strict=True)
    )
    chunks = np.split(arrays["wkb"], arrays["wkb_end"][:-1]) if len(edges) else []
    geoms = shapely.from_wkb(np.array([c.tobytes() for c in chunks], dtype=object)) if len(edges) else []
    u, v, k = arrays["u"].tolist(), arrays["v"].tolist(), arrays["k"].tolist()
    G.add_edges_from(
        (a, b, c, {**attrs, "geometry": g}) for a, b, c, attrs, g in zip(u, v, k, edges, geoms, strict=True)
    )
    return G


def save(key: str, G: nx.MultiDiGraph, source: dict[str, Any] | None = None) -> None:
    """Store ``G`` under ``key``, recording ``source`` (from :func:`built_from`); best effort: a cache
    that cannot be written is skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        node_ids = list(G.nodes)
        nodes = [{a: _plain(b) for a, b in d.items() if a not in ("x", "y")} for _, d in G.nodes(data=True)]
        keys = list(G.edges(keys=True, data=True))
        edges = [{a: _plain(b) for a, b in d.items() if a != "geometry"} for *_, d in keys]
        wkb = [shapely.to_wkb(d["geometry"]) for *_, d in keys]
        buffer = io.BytesIO()
        np.savez(
            buffer,
            node_id=np.array(node_ids, dtype=np.int64),
            x=np.array([G.nodes[n]["x"] for n in node_ids], dtype=float),
            y=np.array([G.nodes[n]["y"] for n in node_ids], dtype=float),
            u=np.array([e[0] for e in keys], dtype=np.int64),
            v=np.array([e[1] for e in keys], dtype=np.int64),
            k=np.array([e[2] for e in keys], dtype=np.int64),
            wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8),
            wkb_end=np.cumsum([len(b) for b in wkb], dtype=np.int64),
        )
        graph = {a: _plain(b) for a, b in G.graph.items()}
        entry = folder / f"{key}.siege-graph.zip"
        with atomic_path(entry) as tmp, zipfile.ZipFile(tmp, "w") as z:
            z.writestr("meta.json", json.dumps({"format": FORMAT, "graph": graph, "built_from": source}))
            z.writestr("arrays.npz", buffer.getvalue())
            z.writestr("nodes.json", json.dumps(nodes, ensure_ascii=False))
            z.writestr("edges.json", json.dumps(edges, ensure_ascii=False))
        prune(folder, keep=entry)
    except (OSError, TypeError, ValueError):
        return


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, tuples and sets as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
